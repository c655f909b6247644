package s3bucket

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// ErrBucketNotFound reports that the bucket does not exist (any more).
var ErrBucketNotFound = errors.New("bucket not found")

// Setting names a bucket setting that an S3-compatible server may lack.
type Setting string

// The settings whose S3 operations some S3-compatible servers do not
// implement.
const (
	SettingVersioning        Setting = "versioning"
	SettingPublicAccessBlock Setting = "public access block"
	SettingEncryption        Setting = "default encryption"
	SettingLifecycle         Setting = "lifecycle configuration"
	SettingPolicy            Setting = "bucket policy"
	SettingTags              Setting = "tags"
)

// UnsupportedError reports that the server answered NotImplemented to the
// operation that manages Setting.
type UnsupportedError struct {
	Setting   Setting
	Operation string
	Err       error
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("the S3 server does not implement the %s (%s answered NotImplemented)", e.Setting, e.Operation)
}

func (e *UnsupportedError) Unwrap() error { return e.Err }

// errorCode returns the S3 error code of err ("" when there is none).
func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

func httpStatus(err error) int {
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		return respErr.HTTPStatusCode()
	}
	return 0
}

// IsNotImplemented reports whether err is the server's answer that it does
// not implement the operation: S3's NotImplemented error code, or a 501
// status where the server sent no parsable code. Never the message text,
// which differs between servers and versions.
func IsNotImplemented(err error) bool {
	if err == nil {
		return false
	}
	code := errorCode(err)
	return code == "NotImplemented" || (code == "" || code == "501") && httpStatus(err) == http.StatusNotImplemented
}

// hasCode reports whether err carries one of the S3 error codes.
func hasCode(err error, codes ...string) bool {
	return slices.Contains(codes, errorCode(err))
}

// IsNotFound reports that the object (or its bucket) is not there: a 404,
// or S3's NoSuchKey or NotFound code.
func IsNotFound(err error) bool {
	return httpStatus(err) == http.StatusNotFound || hasCode(err, "NoSuchKey", "NotFound")
}

// IsPreconditionFailed reports that S3 refused a conditional write
// (If-None-Match: *, If-Match) because the object is there or has changed:
// another writer was first.
func IsPreconditionFailed(err error) bool {
	return httpStatus(err) == http.StatusPreconditionFailed || hasCode(err, "PreconditionFailed")
}

// isNoSuchBucket recognises a missing bucket, also from HEAD requests,
// whose responses have no body and so no error code.
func isNoSuchBucket(err error) bool {
	return hasCode(err, "NoSuchBucket") || httpStatus(err) == http.StatusNotFound && hasCode(err, "NotFound", "404", "")
}

// unsupported wraps a NotImplemented answer into an UnsupportedError and
// passes other errors through with the operation named.
func unsupported(setting Setting, op, bucket string, err error) error {
	if IsNotImplemented(err) {
		return &UnsupportedError{Setting: setting, Operation: op, Err: err}
	}
	return fmt.Errorf("%s on bucket %s: %w", op, bucket, err)
}
