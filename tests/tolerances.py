r"""
How close a number computed now must come to one recorded on another machine.

Floating-point sums depend on their order, and the order depends on the CPU: the width of the
vector kernels PyTorch picks for it, the instruction set of the matrix libraries, the number of
threads. So a number recorded on one CPU comes back on another within a rounding difference,
not bit for bit. `bench/kernels.py` measured how far, by recomputing every number the tests
compare against a recording under six combinations of this machine (kernels `avx512`, `avx2`
and `default`, with oneDNN and MKL capped to match, and 1 or 2 threads); the largest
differences are in `bench/results/kernels.md`. Each tolerance below is that measurement times a
stated margin, and stays far below what a real change of behaviour moves.

Exact equality remains the rule where both sides run on the same machine in the same test
(a resumed run against an uninterrupted one, DDP ranks, an export read back).
"""

# Losses of the golden runs and of the resumed old checkpoint, relative. Measured: at most
# 7.0e-8 (the dropout-and-curriculum golden run at step 40 under `avx2`, 1 thread; the
# default-path run moved at most 5.3e-8, the old checkpoint not at all). 2e-4 is 2870 times the
# worst: the recipes before this one, with AdamW or PyTorch's bfloat16 Muon, moved the same runs
# by up to 2.7e-5, and CPUs this machine cannot stand in for (with AMX, say) may add up in yet
# another order. A real change moves far more: a learning rate 1% off moves the default-path
# run's losses by 5.5e-5 to 1.0e-3, a warm-up one step longer by 5.4e-5 to 1.0e-3 (measured the
# same way), so such a change fails at some validation point.
LOSS_RELATIVE = 2e-4

# Accuracies of the golden runs, absolute. An accuracy is a count: the positions whose top
# guess is right, over the masked positions (about 310 per validation, about 1,500 per 10
# training steps, where 30% are masked). A rounding difference can flip the top guess only where
# two characters' logits are within rounding of each other, which happens early in training,
# when the logits are nearly uniform. Measured: no flip in any of the six combinations; a CPU
# with AMX moved the step-10 train accuracy of an earlier recipe by 8.5e-5. Allowed: 2 flipped
# positions of the ~300 validation positions, 0.0067 (10 of the ~1,500 train positions).
ACCURACY_ABSOLUTE = 2 / 300

# Probabilities the bundled model gives, and the attention weights its heads put on a pattern,
# absolute. Measured: at most 6.3e-7 (probabilities) and 6.0e-8 (head scores). 1e-4 is 160 times
# the worst, and still 30 times smaller than the smallest lead the pages rely on (a quoted top
# character leads the next by at least 0.0027, a quoted best head the next best by 0.0098).
PROBABILITY_ABSOLUTE = 1e-4

# The environment that makes this machine compute as a CPU without vector extensions would:
# PyTorch's generic kernels, the matrix libraries capped at SSE4, one thread
PORTABLE_KERNELS = {'ATEN_CPU_CAPABILITY': 'default', 'ONEDNN_MAX_CPU_ISA': 'SSE41',
                    'MKL_ENABLE_INSTRUCTIONS': 'SSE4_2', 'OMP_NUM_THREADS': '1'}


def close_relative(a: float, b: float, tolerance: float = LOSS_RELATIVE) -> bool:
    return abs(a - b) <= tolerance * abs(b)


def quoted_percentage_matches(value: float, quoted: str) -> bool:
    r"""
    Whether `quoted` ("84%", "99.6%") is `value` rounded as the prose rounds it, give or take
    `PROBABILITY_ABSOLUTE`: a value within rounding of a boundary may round either way on
    another CPU.
    """
    number = quoted.strip().rstrip('%')
    decimals = len(number.partition('.')[2])
    half_unit = 0.5 * 10 ** -decimals / 100
    return abs(value - float(number) / 100) <= half_unit + PROBABILITY_ABSOLUTE
