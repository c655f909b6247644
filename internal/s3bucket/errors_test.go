package s3bucket

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func responseError(status int, err error) error {
	return &smithy.OperationError{
		ServiceID:     "S3",
		OperationName: "PutPublicAccessBlock",
		Err: &awshttp.ResponseError{
			ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err},
		},
	}
}

func TestIsNotImplemented(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"code", responseError(501, &smithy.GenericAPIError{Code: "NotImplemented", Message: "anything"}), true},
		{"code wrapped", fmt.Errorf("context: %w", responseError(501, &smithy.GenericAPIError{Code: "NotImplemented"})), true},
		{"bare 501", responseError(501, errors.New("no body")), true},
		{"access denied", responseError(403, &smithy.GenericAPIError{Code: "AccessDenied", Message: "not implemented"}), false},
		{"other code on 501", responseError(501, &smithy.GenericAPIError{Code: "SomethingElse"}), false},
		// The message alone never counts.
		{"message only", errors.New("NotImplemented: A header you provided implies functionality that is not implemented"), false},
		{"nil", nil, false},
	}
	for _, c := range cases {
		if got := IsNotImplemented(c.err); got != c.want {
			t.Errorf("%s: IsNotImplemented = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestObjectErrors(t *testing.T) {
	cases := []struct {
		name                   string
		err                    error
		notFound, precondition bool
	}{
		{"NoSuchKey", responseError(404, &smithy.GenericAPIError{Code: "NoSuchKey"}), true, false},
		{"HEAD 404 without a body", responseError(404, errors.New("no body")), true, false},
		{"NotFound code without a status", &smithy.GenericAPIError{Code: "NotFound"}, true, false},
		{"If-None-Match refused", responseError(412, &smithy.GenericAPIError{Code: "PreconditionFailed"}), false, true},
		{"bare 412", fmt.Errorf("context: %w", responseError(412, errors.New("no body"))), false, true},
		{"access denied", responseError(403, &smithy.GenericAPIError{Code: "AccessDenied"}), false, false},
		{"nil", nil, false, false},
	}
	for _, c := range cases {
		if got := IsNotFound(c.err); got != c.notFound {
			t.Errorf("%s: IsNotFound = %v, want %v", c.name, got, c.notFound)
		}
		if got := IsPreconditionFailed(c.err); got != c.precondition {
			t.Errorf("%s: IsPreconditionFailed = %v, want %v", c.name, got, c.precondition)
		}
	}
}

func TestUnsupported(t *testing.T) {
	err := unsupported(SettingEncryption, "PutBucketEncryption", "b", responseError(501, &smithy.GenericAPIError{Code: "NotImplemented"}))
	var u *UnsupportedError
	if !errors.As(err, &u) || u.Setting != SettingEncryption || u.Operation != "PutBucketEncryption" {
		t.Fatalf("unsupported() = %v, want an *UnsupportedError for the encryption", err)
	}
	err = unsupported(SettingEncryption, "PutBucketEncryption", "b", responseError(403, &smithy.GenericAPIError{Code: "AccessDenied"}))
	if errors.As(err, &u) {
		t.Fatalf("AccessDenied became an UnsupportedError: %v", err)
	}
}
