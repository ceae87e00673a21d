//go:build tools

package licensingapi

import (
	_ "github.com/99designs/gqlgen"
	_ "github.com/Khan/genqlient"
)
