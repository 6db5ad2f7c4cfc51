// Package ws names the WebSocket protocol.
package ws

// Protocol is the value of the Upgrade header for a WebSocket.
const Protocol = "websocket"
