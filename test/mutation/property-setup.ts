import fc from 'fast-check';

// A mutant is killed by the first counterexample: shrinking it to the smallest one, which helps a person read a
// failure, would only cost time here.
fc.configureGlobal({ endOnFailure: true });
