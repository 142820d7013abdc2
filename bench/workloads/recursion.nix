# Function-call heavy: naive fib (wide, shallow), non-tail sums 30k deep (Nix 2.8 overflows
# its stack a little past 50k), an accumulator loop forced with seq, and mutual recursion.
let
  fib = n: if n < 2 then n else fib (n - 1) + fib (n - 2);

  # Non-tail: every frame waits for the inner call.
  sum = n: if n == 0 then 0 else n + sum (n - 1);

  # Tail-ish: the accumulator is forced each step so no thunk chain builds up;
  # Nix still nests a C++ frame per call, hence the same depth limit.
  sumAcc = acc: n: if n == 0 then acc else builtins.seq acc (sumAcc (acc + n) (n - 1));

  isEven = n: if n == 0 then true else isOdd (n - 1);
  isOdd = n: if n == 0 then false else isEven (n - 1);

  depth = 30000;
  # Offsets make each call distinct so nothing is shared between repetitions.
  reps = builtins.genList (i: i) 10;
in
{
  fib = fib 27;
  sums = builtins.foldl' (a: i: a + sum (depth + i)) 0 reps;
  accs = builtins.foldl' (a: i: a + sumAcc 0 (depth + i)) 0 reps;
  even = builtins.all (i: isEven (depth + 2 * i)) reps;
}
