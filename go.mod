module github.com/trellisproject/trellis

go 1.26
