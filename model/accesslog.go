package model

import (
	"path"
	"regexp"
	"strings"

	"github.com/trellisproject/trellis/policy"
)

// The log types of access-log subscriptions of service networks.
const (
	LogTypeService  = "SERVICE"
	LogTypeResource = "RESOURCE"
)

// DestinationKind says where trellis writes an access log.
type DestinationKind uint8

// The destination kinds.
const (
	// DestinationFile is a file under the access-log directory.
	DestinationFile DestinationKind = iota + 1
	// DestinationStdout is the process's standard output.
	DestinationStdout
)

// A LogDestination is where trellis writes the access log of a
// subscription: VPC Lattice sends logs to CloudWatch Logs, Amazon S3 or
// Kinesis Data Firehose; trellis maps each destination ARN to a file (or
// standard output) as follows, writing one JSON object per line.
//
//	arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]  cloudwatch/NAME.log   (NAME "stdout": standard output)
//	arn:aws:s3:::BUCKET[/PREFIX]                    s3/BUCKET[/PREFIX]/access.log
//	arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME  firehose/NAME.log  (NAME "stdout": standard output)
//
// Paths are relative to the gateway's access-log directory.
type LogDestination struct {
	Kind DestinationKind
	// Service is the AWS service of the destination: "logs", "s3" or
	// "firehose".
	Service string
	// Path is the slash-separated file path, relative to the access-log
	// directory, for DestinationFile.
	Path string
}

var (
	logGroupNameRe = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]{1,512}$`)
	bucketRe       = regexp.MustCompile(`^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$`)
	streamNameRe   = regexp.MustCompile(`^[a-zA-Z0-9_.\-]{1,64}$`)
)

// ParseLogDestination checks an access-log destination ARN (the
// AccessLogDestinationArn shape: 20 to 2048 characters, an ARN of a CloudWatch
// Logs log group, an S3 bucket or a Firehose delivery stream) and returns
// where trellis writes it.
func ParseLogDestination(arn string) (LogDestination, error) {
	bad := func(msg string) (LogDestination, error) {
		return LogDestination{}, FieldErrorf("destinationArn", "%s", msg)
	}
	if len(arn) < 20 || len(arn) > 2048 || !destinationARNRe.MatchString(arn) {
		return bad("must be the ARN of a CloudWatch Logs log group, an S3 bucket or a Kinesis Data Firehose delivery stream")
	}
	parts := strings.SplitN(arn, ":", 6)
	switch parts[2] {
	case "logs":
		rest, ok := strings.CutPrefix(parts[5], "log-group:")
		if !ok || !policy.IsAccountID(parts[4]) {
			return bad("a CloudWatch Logs destination must be arn:aws:logs:REGION:ACCOUNT:log-group:NAME")
		}
		name := strings.TrimSuffix(rest, ":*")
		if !logGroupNameRe.MatchString(name) {
			return bad("the log group name must be 1 to 512 characters of letters, digits and . - _ / #")
		}
		if name == "stdout" {
			return LogDestination{Kind: DestinationStdout, Service: "logs"}, nil
		}
		p, ok := cleanRel(strings.ReplaceAll(name, "#", "_"))
		if !ok {
			return bad("the log group name may not contain . or .. path segments")
		}
		return LogDestination{Kind: DestinationFile, Service: "logs", Path: "cloudwatch/" + p + ".log"}, nil
	case "s3":
		if parts[3] != "" || parts[4] != "" {
			return bad("an S3 destination must be arn:aws:s3:::BUCKET or arn:aws:s3:::BUCKET/PREFIX")
		}
		bucket, prefix, _ := strings.Cut(parts[5], "/")
		if !bucketRe.MatchString(bucket) {
			return bad("the S3 bucket name must be 3 to 63 characters of a-z, 0-9, . and -")
		}
		p := "s3/" + bucket
		if prefix = strings.Trim(prefix, "/"); prefix != "" {
			rel, ok := cleanRel(prefix)
			if !ok {
				return bad("the S3 prefix may not contain . or .. path segments")
			}
			p += "/" + rel
		}
		return LogDestination{Kind: DestinationFile, Service: "s3", Path: p + "/access.log"}, nil
	case "firehose":
		name, ok := strings.CutPrefix(parts[5], "deliverystream/")
		if !ok || !policy.IsAccountID(parts[4]) || !streamNameRe.MatchString(name) {
			return bad("a Firehose destination must be arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME")
		}
		if name == "stdout" {
			return LogDestination{Kind: DestinationStdout, Service: "firehose"}, nil
		}
		return LogDestination{Kind: DestinationFile, Service: "firehose", Path: "firehose/" + name + ".log"}, nil
	}
	return bad("the destination must be a CloudWatch Logs log group, an S3 bucket or a Kinesis Data Firehose delivery stream")
}

// cleanRel turns a slash-separated name into a relative path that cannot
// leave its directory.
func cleanRel(name string) (string, bool) {
	name = strings.Trim(name, "/")
	if name == "" {
		return "", false
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "." || seg == ".." {
			return "", false
		}
	}
	p := path.Clean(name)
	return p, p != "." && !strings.HasPrefix(p, "../")
}
