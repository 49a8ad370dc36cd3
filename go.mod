module github.com/trellisproject/trellis

go 1.26

require (
	github.com/aws/aws-sdk-go-v2 v1.47.7
	github.com/aws/smithy-go/aws-http-auth v1.1.3
	github.com/spf13/cobra v1.10.2
)

require (
	github.com/aws/smithy-go v1.28.8 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
)
