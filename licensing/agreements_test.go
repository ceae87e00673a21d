package licensing

import "testing"

func TestAgreements(t *testing.T) {
	t.Run("R-AGR-4_volume_discount_from_250_enterprise_seats", func(t *testing.T) {
		for _, c := range []struct {
			p     Program
			seats int
			want  bool
		}{
			{ProgramEnterprise, 249, false},
			{ProgramEnterprise, 250, true},
			{ProgramEnterprise, 1000, true},
			{ProgramOpenValue, 1000, false},
			{ProgramEnterpriseSubscription, 250, false},
		} {
			if got := VolumeDiscountEligible(c.p, c.seats); got != c.want {
				t.Errorf("%s with %d seats: eligible=%v, want %v", c.p, c.seats, got, c.want)
			}
		}
	})
}

func TestCustomerLanguage(t *testing.T) {
	if d := (CustomerDraft{OrganizationName: "Fabrikam", Country: "SE"}); len(d.Validate()) != 0 || d.CustomerLanguage() != LanguageEnglish {
		t.Errorf("no language: problems %v, language %q; want none and en", d.Validate(), d.CustomerLanguage())
	}
	for _, c := range []struct {
		lang string
		want Language
		ok   bool
	}{
		{"", "", false},
		{"en", LanguageEnglish, true},
		{"sv", LanguageSwedish, true},
		{"de", LanguageGerman, true},
		{"da", LanguageDanish, true},
		{"SV", "", false},
		{"fr", "", false},
		{"english", "", false},
	} {
		d := CustomerDraft{OrganizationName: "Fabrikam", Country: "SE", Language: &c.lang}
		ps := d.Validate()
		if c.ok {
			if len(ps) != 0 || d.CustomerLanguage() != c.want {
				t.Errorf("language %q: problems %v, language %q; want none and %q", c.lang, ps, d.CustomerLanguage(), c.want)
			}
			continue
		}
		if len(ps) != 1 || ps[0].Code != CodeUnknownValue || len(ps[0].Field) != 1 || ps[0].Field[0] != "language" {
			t.Errorf("language %q: want one UNKNOWN_VALUE on language, got %+v", c.lang, ps)
		}
	}
}
