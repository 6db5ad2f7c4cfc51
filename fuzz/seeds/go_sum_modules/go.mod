module example.com/go-sample

go 1.22.0

require (
	example.com/legacy/ini v1.5.0
	example.net/netkit v0.4.1
	github.com/acme/strutil v1.2.0
)

require example.net/netkit/ws v0.2.0 // indirect

replace example.com/legacy/ini => example.com/forks/ini v1.5.1-0.20240315093000-1a2b3c4d5e6f
