package controlplane

import "encoding/xml"

// stsNamespace is the XML namespace of every STS answer.
const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// stsVersion is the only API version of STS.
const stsVersion = "2011-06-15"

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

type getCallerIdentityResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
	Result  struct {
		Arn     string
		UserID  string `xml:"UserId"`
		Account string
	} `xml:"GetCallerIdentityResult"`
	ResponseMetadata responseMetadata
}

type assumedRoleUser struct {
	Arn           string
	AssumedRoleID string `xml:"AssumedRoleId"`
}

type credentialsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

type assumeRoleResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleResponse"`
	Result  struct {
		SourceIdentity   string `xml:",omitempty"`
		AssumedRoleUser  assumedRoleUser
		Credentials      credentialsXML
		PackedPolicySize *int `xml:",omitempty"`
	} `xml:"AssumeRoleResult"`
	ResponseMetadata responseMetadata
}

// errorResponse is STS's error shape:
//
//	<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
//	  <Error><Type>Sender</Type><Code>...</Code><Message>...</Message></Error>
//	  <RequestId>...</RequestId>
//	</ErrorResponse>
type errorResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Error   struct {
		Type    string
		Code    string
		Message string
	}
	RequestID string `xml:"RequestId"`
}
