"""Phase 6: what each tool does, declares and may do (permission scoping)."""
