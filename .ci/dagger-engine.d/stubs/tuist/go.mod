module github.com/vito/tuist

go 1.24
