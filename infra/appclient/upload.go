package appclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"

	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

// Capture is one plaintext capture to seal and upload.
type Capture struct {
	Kind  schemas.CaptureKind
	Index int
	Plain []byte
}

// Sealed is a capture sealed to the session key, ready to declare.
type Sealed struct {
	Kind   schemas.CaptureKind
	Index  int
	Bytes  []byte
	SHA256 string
}

// Progress reports upload progress of one capture.
type Progress func(ref string, sent, total int64)

// Seal seals each capture to the session key with its slot's HPKE info.
func Seal(sess Session, caps []Capture) ([]Sealed, error) {
	pk, err := sess.PublicKey()
	if err != nil {
		return nil, err
	}
	out := make([]Sealed, 0, len(caps))
	for _, c := range caps {
		b, err := seal.Seal(pk, seal.CaptureInfo(sess.SessionID, max(sess.Attempt, 1), string(c.Kind), c.Index), c.Plain)
		if err != nil {
			return nil, fmt.Errorf("appclient: seal %s: %w", schemas.CaptureRef(c.Kind, c.Index), err)
		}
		sum := sha256.Sum256(b)
		out = append(out, Sealed{Kind: c.Kind, Index: c.Index, Bytes: b, SHA256: hex.EncodeToString(sum[:])})
	}
	return out, nil
}

// Upload is one pre-signed POST policy returned by the API.
type Upload struct {
	Kind   schemas.CaptureKind `json:"kind"`
	Index  int                 `json:"index"`
	URL    string              `json:"url"`
	Fields map[string]string   `json:"fields"`
}

// Declare declares sealed captures and returns their upload policies.
func (c *Client) Declare(ctx context.Context, sealed []Sealed) ([]Upload, error) {
	type decl struct {
		Kind   schemas.CaptureKind `json:"kind"`
		Index  int                 `json:"index"`
		Size   int64               `json:"size"`
		SHA256 string              `json:"sha256"`
	}
	req := struct {
		Captures []decl `json:"captures"`
	}{}
	for _, s := range sealed {
		req.Captures = append(req.Captures, decl{s.Kind, s.Index, int64(len(s.Bytes)), s.SHA256})
	}
	var resp struct {
		Uploads []Upload `json:"uploads"`
	}
	if err := c.do(ctx, http.MethodPost, "/v1/app/session/uploads", req, &resp); err != nil {
		return nil, err
	}
	if len(resp.Uploads) != len(sealed) {
		return nil, fmt.Errorf("appclient: asked for %d uploads, got %d", len(sealed), len(resp.Uploads))
	}
	return resp.Uploads, nil
}

// Post uploads body through a pre-signed POST policy, as a browser form
// would: every policy field first, the file last.
func (c *Client) Post(ctx context.Context, up Upload, body []byte, progress Progress) error {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range up.Fields {
		if err := mw.WriteField(k, v); err != nil {
			return fmt.Errorf("appclient: form: %w", err)
		}
	}
	fw, err := mw.CreateFormFile("file", "capture.sealed")
	if err != nil {
		return fmt.Errorf("appclient: form: %w", err)
	}
	fw.Write(body)
	mw.Close()
	ref := schemas.CaptureRef(up.Kind, up.Index)
	total := int64(buf.Len())
	var rd io.Reader = &buf
	if progress != nil {
		rd = &countingReader{r: &buf, total: total, report: func(n int64) { progress(ref, n, total) }}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, up.URL, rd)
	if err != nil {
		return fmt.Errorf("appclient: upload %s: %w", ref, err)
	}
	req.ContentLength = total
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("appclient: upload %s: %w", ref, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return &StorageError{Capture: ref, Status: resp.StatusCode, Body: string(msg)}
	}
	return nil
}

// StorageError is a refusal by the object store.
type StorageError struct {
	Capture string
	Status  int
	Body    string
}

func (e *StorageError) Error() string {
	return fmt.Sprintf("storage refused upload of %s: HTTP %d", e.Capture, e.Status)
}

// SealAndUpload seals, declares and uploads every capture.
func (c *Client) SealAndUpload(ctx context.Context, sess Session, caps []Capture, progress Progress) error {
	sealed, err := Seal(sess, caps)
	if err != nil {
		return err
	}
	ups, err := c.Declare(ctx, sealed)
	if err != nil {
		return err
	}
	for i, up := range ups {
		if err := c.Post(ctx, up, sealed[i].Bytes, progress); err != nil {
			return err
		}
	}
	return nil
}

type countingReader struct {
	r      io.Reader
	n      int64
	total  int64
	report func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.report(c.n)
	return n, err
}
