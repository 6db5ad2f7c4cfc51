module example.com/unbundle

go 1.19

require github.com/pkg/errors v0.9.1
