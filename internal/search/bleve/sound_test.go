package bleve

import "testing"

func TestSoundsAlike(t *testing.T) {
	for _, c := range []struct {
		a, b rune
		want bool
	}{
		{'清', '轻', true},  // qing, qing
		{'狮', '蛳', true},  // shi, si
		{'尺', '池', true},  // chi, chi
		{'溶', '熔', true},  // rong
		{'参', '渗', true},  // 参 reads shen too
		{'蓝', '南', true},  // lan, nan
		{'晶', '金', true},  // jing, jin
		{'减', '轻', false}, // jian, qing
		{'珍', '珠', false}, // zhen, zhu: a slip of the eye, not of the ear
		{'A', 'B', false},
		{'5', '4', false},
	} {
		if got := soundsAlike(c.a, c.b); got != c.want {
			t.Errorf("soundsAlike(%c, %c) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
