// Package httpx builds HTTP request lines.
package httpx

import "example.net/netkit/ws"

// RequestLine returns the request line of a GET for path, upgraded to a
// WebSocket when upgrade is set.
func RequestLine(path string, upgrade bool) string {
	line := "GET " + path + " HTTP/1.1"
	if upgrade {
		line += "\r\nUpgrade: " + ws.Protocol
	}
	return line
}
