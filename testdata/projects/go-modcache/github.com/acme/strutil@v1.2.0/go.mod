module github.com/acme/strutil

go 1.20
