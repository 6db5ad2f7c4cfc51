// Package casing changes the case of words.
package casing

import "strings"

// Title upper-cases the first letter of every word of s.
func Title(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}
