"""Operations that write portfolio data: `catalogue` (service metrics), `demand` (demands, business
cases, ranking, benefits), `workflow` (the demand state machine), `scoring` (the priority score),
`attestation` (asking sponsors to confirm realised benefits)."""
