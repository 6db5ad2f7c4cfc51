// Package netkit is the root of the netkit module; nothing imports it.
package netkit

// Version is the version of netkit.
const Version = "v0.4.1"
