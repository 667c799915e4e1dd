package s3test

import (
	"strings"
	"testing"

	"github.com/minio/minio-go/v7/pkg/s3utils"
)

func TestBucketName(t *testing.T) {
	for _, name := range []string{
		"TestX",
		"TestPresignPost/one_byte_over",
		"Test--Weird__Name//#01",
		"Ünïcödé/名前",
		"",
		strings.Repeat("TestVeryLongName", 10),
	} {
		got := bucketName(name)
		if err := s3utils.CheckValidBucketNameStrict(got); err != nil {
			t.Errorf("bucketName(%q) = %q: %v", name, got, err)
		}
		if strings.Contains(got, "--") {
			t.Errorf("bucketName(%q) = %q has a run of dashes", name, got)
		}
		if again := bucketName(name); again == got {
			t.Errorf("bucketName(%q) gave %q twice", name, got)
		}
	}
}
