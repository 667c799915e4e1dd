package capture

// Held is how many decoded images d keeps now.
func (d *Decodes) Held() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, e := range d.entries {
		if e.bytes > 0 {
			n++
		}
	}
	return n
}
