package objects_test

import (
	"testing"

	"github.com/idv-oss/idv/infra/versitygw/s3test"
)

func TestMain(m *testing.M) { s3test.Main(m) }
