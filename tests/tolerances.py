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
# 2.7e-5 (the dropout-and-curriculum golden run at step 50 under `avx2`, 1 thread; the
# default-path run moved at most 6.7e-8, the old checkpoint not at all). 2e-4 is 7 times the
# worst. A real change moves far more: a learning rate 1% off moves the default-path run's
# losses by 1.9e-4 to 7.8e-4, a warm-up one step longer by 1.8e-4 to 7.6e-4 (measured the same
# way), so such a change fails at some validation point.
LOSS_RELATIVE = 2e-4

# Accuracies of the golden runs, absolute. An accuracy is a count: the positions whose top
# guess is right, over the masked positions (about 310 per validation, about 770 per 10 training
# steps). A rounding difference can flip the top guess only where two characters' logits are
# within rounding of each other, which happens early in training, when the logits are nearly
# uniform. Measured: no flip in any of the six combinations; a CPU with AMX moved the step-10
# train accuracy by 8.5e-5 (tests/fixtures/golden: 0.008997 recorded, 0.008912 there). Allowed:
# 2 flipped positions of the ~300 validation positions, 0.0067 (5 of the ~770 train positions).
ACCURACY_ABSOLUTE = 2 / 300

# Probabilities the bundled model gives, and the attention weights its heads put on a pattern,
# absolute. Measured: at most 4.2e-7 (probabilities) and 1.2e-7 (head scores). 1e-4 is 240 times
# the worst, and still 20 times smaller than the smallest lead the pages rely on (a quoted top
# character leads the next by at least 0.0129, a quoted best head the next best by 0.0020).
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
