//! Charts drawn from sim-core's report types.
