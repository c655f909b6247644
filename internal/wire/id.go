package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// ID is an artifact id (the API's ArtifactID). The API's schema makes it a
// string; the published examples, and registries written from them, send
// numbers. Both are read; it is written as a string.
type ID string

// UnmarshalJSON reads a JSON string or number; null leaves the id empty.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*id = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("artifact id %s: want a string or a number", b)
	}
	*id = ID(n.String())
	return nil
}
