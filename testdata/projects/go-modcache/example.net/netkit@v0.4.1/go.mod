module example.net/netkit

go 1.21

require example.net/netkit/ws v0.2.0
