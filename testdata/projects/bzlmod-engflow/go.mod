module github.com/EngFlow/example

go 1.21.2

require github.com/google/go-cmp v0.6.0
