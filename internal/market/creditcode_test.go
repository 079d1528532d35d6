package market

import (
	"strings"
	"testing"
)

// publishedCreditCodes are real codes, each with a check character that
// the algorithm must reproduce.
var publishedCreditCodes = []struct {
	name string
	code string
}{
	{"GB 32100-2015 example", "91350100M000100Y43"},
	{"华为技术有限公司", "914403001922038216"},
	{"腾讯科技（深圳）有限公司", "9144030071526726XG"},
	{"北京小米科技有限责任公司", "91110108551385082Q"},
}

func TestValidCreditCode(t *testing.T) {
	tests := []struct {
		name string
		code string
		want bool
	}{
		{"standard example", "91350100M000100Y43", true},
		{"check char X", "9144030071526726XG", true},
		{"sum divisible by 31 gives check char 0", "000000000000000000", true},
		{"empty", "", false},
		{"17 chars", "91350100M000100Y4", false},
		{"19 chars", "91350100M000100Y433", false},
		{"lower case letter", "91350100m000100y43", false},
		{"letter I", "91350100I000100Y43", false},
		{"letter O", "91350100O000100Y43", false},
		{"letter Z", "91350100Z000100Y43", false},
		{"letter S", "91350100S000100Y43", false},
		{"letter V", "91350100V000100Y43", false},
		{"check char outside alphabet", "91350100M000100Y4I", false},
		{"space", "91350100 000100Y43", false},
		{"hyphen", "91350100-000100Y43", false},
		{"leading space", " 91350100M000100Y4", false},
		{"full-width digits", "９１350100M000100Y", false},
		{"wrong check char", "91350100M000100Y44", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidCreditCode(tt.code); got != tt.want {
				t.Errorf("ValidCreditCode(%q) = %v, want %v", tt.code, got, tt.want)
			}
		})
	}
}

func TestValidCreditCodePublished(t *testing.T) {
	for _, tt := range publishedCreditCodes {
		t.Run(tt.name, func(t *testing.T) {
			if !ValidCreditCode(tt.code) {
				t.Errorf("ValidCreditCode(%q) = false, want true", tt.code)
			}
			check, ok := CreditCodeCheckChar(tt.code[:17])
			if !ok || check != tt.code[17] {
				t.Errorf("CreditCodeCheckChar(%q) = %q, %v; want %q, true", tt.code[:17], check, ok, tt.code[17])
			}
		})
	}
}

// TestValidCreditCodeSingleSubstitution changes each position of each
// published code to every other character of the alphabet: the weights are
// non-zero modulo the prime 31, so every such change must be caught.
func TestValidCreditCodeSingleSubstitution(t *testing.T) {
	for _, tt := range publishedCreditCodes {
		for pos := 0; pos < len(tt.code); pos++ {
			for i := 0; i < len(creditCodeCharset); i++ {
				c := creditCodeCharset[i]
				if c == tt.code[pos] {
					continue
				}
				mutated := tt.code[:pos] + string(c) + tt.code[pos+1:]
				if ValidCreditCode(mutated) {
					t.Errorf("%s: ValidCreditCode(%q) = true after changing position %d", tt.name, mutated, pos+1)
				}
			}
			lower := tt.code[:pos] + strings.ToLower(tt.code[pos:pos+1]) + tt.code[pos+1:]
			if lower != tt.code && ValidCreditCode(lower) {
				t.Errorf("%s: ValidCreditCode(%q) = true with a lower-case letter", tt.name, lower)
			}
		}
	}
}

// TestValidCreditCodeTransposition swaps adjacent distinct characters among
// the first 17: consecutive weights differ, so the swap must be caught.
func TestValidCreditCodeTransposition(t *testing.T) {
	for _, tt := range publishedCreditCodes {
		for pos := 0; pos < 16; pos++ {
			if tt.code[pos] == tt.code[pos+1] {
				continue
			}
			b := []byte(tt.code)
			b[pos], b[pos+1] = b[pos+1], b[pos]
			if ValidCreditCode(string(b)) {
				t.Errorf("%s: ValidCreditCode(%q) = true after swapping positions %d and %d", tt.name, b, pos+1, pos+2)
			}
		}
	}
}

func TestCreditCodeCheckChar(t *testing.T) {
	tests := []struct {
		name    string
		first17 string
		want    byte
		wantOK  bool
	}{
		{"standard example", "91350100M000100Y4", '3', true},
		{"letter result", "9144030071526726X", 'G', true},
		{"all zeros", "00000000000000000", '0', true},
		{"16 chars", "91350100M000100Y", 0, false},
		{"18 chars", "91350100M000100Y43", 0, false},
		{"lower case", "91350100m000100y4", 0, false},
		{"letter O", "91350100O000100Y4", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := CreditCodeCheckChar(tt.first17)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("CreditCodeCheckChar(%q) = %q, %v; want %q, %v", tt.first17, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestCreditCodeCheckCharAlwaysInAlphabet completes arbitrary prefixes and
// checks the result validates: the check character itself is always a
// member of the alphabet.
func TestCreditCodeCheckCharAlwaysInAlphabet(t *testing.T) {
	for i := 0; i < len(creditCodeCharset); i++ {
		for j := 0; j < len(creditCodeCharset); j++ {
			prefix := "9145020" + string(creditCodeCharset[i]) + "MA5" + string(creditCodeCharset[j]) + "ABCDE"
			check, ok := CreditCodeCheckChar(prefix)
			if !ok {
				t.Fatalf("CreditCodeCheckChar(%q) not ok", prefix)
			}
			if !strings.ContainsRune(creditCodeCharset, rune(check)) {
				t.Fatalf("CreditCodeCheckChar(%q) = %q, outside the alphabet", prefix, check)
			}
			if !ValidCreditCode(prefix + string(check)) {
				t.Fatalf("ValidCreditCode(%q) = false for its own check char", prefix+string(check))
			}
		}
	}
}
