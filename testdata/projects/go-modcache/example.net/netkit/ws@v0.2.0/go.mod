module example.net/netkit/ws

go 1.21
