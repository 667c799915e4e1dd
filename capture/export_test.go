package capture

// Held is how many decoded images d keeps now.
func (d *Decodes) Held() int { return d.images.Kept() }
