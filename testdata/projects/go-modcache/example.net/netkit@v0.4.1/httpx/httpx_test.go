package httpx

import "testing"

func TestRequestLine(t *testing.T) {
	if got := RequestLine("/", false); got != "GET / HTTP/1.1" {
		t.Fatalf("RequestLine = %q", got)
	}
}
