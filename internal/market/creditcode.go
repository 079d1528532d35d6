package market

// creditCodeCharset is the alphabet of the unified social credit code
// (统一社会信用代码) of GB 32100-2015: the digits and the upper-case Latin
// letters without I, O, Z, S and V. A character's index is its value.
const creditCodeCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditCodeWeights are the weights of positions 1..17 in the check
// character computation: 3^(i-1) mod 31.
var creditCodeWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// creditCodeValue returns the value of c in the code alphabet, or -1.
func creditCodeValue(c byte) int {
	for i := 0; i < len(creditCodeCharset); i++ {
		if creditCodeCharset[i] == c {
			return i
		}
	}
	return -1
}

// CreditCodeCheckChar computes the check character (position 18) of a
// unified social credit code from its first 17 characters. It reports false
// when first17 is not exactly 17 characters of the code alphabet. Only
// upper-case letters belong to the alphabet.
func CreditCodeCheckChar(first17 string) (byte, bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := creditCodeValue(first17[i])
		if v < 0 {
			return 0, false
		}
		sum += v * creditCodeWeights[i]
	}
	return creditCodeCharset[(31-sum%31)%31], true
}

// ValidCreditCode reports whether code is a well-formed 18-character unified
// social credit code: every character from the GB 32100-2015 alphabet and
// the last one equal to the check character of the first 17.
//
// Only upper-case codes are accepted: a code written in lower case is
// invalid, and callers that want to be lenient must upper-case (and trim)
// the input themselves before calling. The registration-authority and
// organisation-type characters (positions 1 and 2) are deliberately not
// checked against a list: later amendments to the standard added authority
// codes beyond 1, 5, 9 and Y, and a list here would reject real codes.
func ValidCreditCode(code string) bool {
	if len(code) != 18 {
		return false
	}
	check, ok := CreditCodeCheckChar(code[:17])
	return ok && code[17] == check
}
