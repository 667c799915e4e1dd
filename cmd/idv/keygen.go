package main

import (
	"fmt"
	"io"

	"github.com/idv-oss/idv/infra/vault"
)

func runKeygen(stdout io.Writer) error {
	k, err := vault.GenerateMasterKey()
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, k)
	return nil
}
