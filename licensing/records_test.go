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
