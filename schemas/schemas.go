// Package schemas holds IDV's contracts: the OpenAPI document, event types and
// their JSON Schemas, SQL migrations, and the pure contract logic both
// producers and consumers need (tenant policy fields, capture slots). It
// imports nothing of IDV's own.
package schemas

import (
	"embed"
	"io/fs"
)

//go:embed migrations
var migrations embed.FS

// MainMigrations are the migrations of the main database.
func MainMigrations() fs.FS { return sub(migrations, "migrations/main") }

// KeyStoreMigrations are the migrations of the key store database, which
// holds the vault's epoch keys apart from the main database.
func KeyStoreMigrations() fs.FS { return sub(migrations, "migrations/keystore") }

func sub(fsys fs.FS, dir string) fs.FS {
	s, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return s
}
