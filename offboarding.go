package idv

// SignedReceipt is a receipt's exact statement bytes with their signature.
type SignedReceipt struct {
	Statement []byte
	Signature []byte
	KeyID     string
}
