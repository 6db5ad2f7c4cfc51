// Command go-sample is vouch's Go test fixture: a module that vendors its
// dependencies.
package main

import (
	"fmt"

	"example.com/legacy/ini"
	"example.net/netkit/httpx"
	"github.com/acme/strutil"
	"github.com/acme/strutil/casing"
)

func main() {
	conf := ini.Parse("path = /status")
	fmt.Println(httpx.RequestLine(conf["path"], false))
	fmt.Println(casing.Title(strutil.Reverse("olleh dlrow")))
}
