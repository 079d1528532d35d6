package httpapi_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/config"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// benchEnv publishes n demands spread over the eleven industries through
// the services (the HTTP path is what is measured, not the setup).
func benchEnv(b *testing.B, backend string, n int) (*apptest.Env, string) {
	// No rate limit: the benchmark measures serving, not refusing.
	e := apptest.New(b, backend, func(c *config.Config) { c.RateLimit = 0 })
	ent := e.NewOrg(market.OrgEnterprise, true)
	op := e.NewOrg(market.OrgOperator, true)
	me, _ := e.Sys.Auth.Authenticate(context.Background(), ent.Token)
	opActor, _ := e.Sys.Auth.Authenticate(context.Background(), op.Token)
	ctx, opCtx := market.WithActor(context.Background(), me), market.WithActor(context.Background(), opActor)
	var last string
	for i := range n {
		title := fmt.Sprintf("技术需求 %d：高强钢激光焊接工艺", i)
		industry := market.Industries[i%len(market.Industries)].Code
		desc := "需要解决高强钢板激光拼焊的气孔与裂纹问题，提升焊缝强度与一致性。"
		modes := []string{"transfer"}
		region := "450206"
		it, err := e.Sys.Items.CreateItem(ctx, market.KindDemand, market.DemandInput{Title: &title, Description: &desc,
			Industry: &industry, CooperationModes: &modes, RegionCode: &region})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.Sys.Items.SubmitItem(ctx, market.KindDemand, it.ID); err != nil {
			b.Fatal(err)
		}
		if _, err := e.Sys.Items.ReviewItem(opCtx, market.KindDemand, it.ID, market.Review{Decision: "approve"}); err != nil {
			b.Fatal(err)
		}
		last = it.ID
	}
	return e, last
}

func benchGet(b *testing.B, e *apptest.Env, path string) {
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := e.Srv.Test(httptest.NewRequest("GET", path, nil), -1)
		if err != nil || res.StatusCode != 200 {
			b.Fatalf("%s: %v %v", path, err, res.StatusCode)
		}
		res.Body.Close()
	}
}

// BenchmarkGetItem: GET /api/v1/demands/{id}, anonymous, 2,000 demands in
// the table.
func BenchmarkGetItem(b *testing.B) {
	for _, backend := range apptest.Backends() {
		b.Run(backend, func(b *testing.B) {
			e, id := benchEnv(b, backend, 2000)
			benchGet(b, e, "/api/v1/demands/"+id)
		})
	}
}

// BenchmarkListFiltered: GET /api/v1/demands?industry=steel&limit=20 over
// 2,000 demands (about 180 match).
func BenchmarkListFiltered(b *testing.B) {
	for _, backend := range apptest.Backends() {
		b.Run(backend, func(b *testing.B) {
			e, _ := benchEnv(b, backend, 2000)
			benchGet(b, e, "/api/v1/demands?industry=steel&limit=20")
		})
	}
}
