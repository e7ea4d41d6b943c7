"""Generates special_mpmath.csv: reference values of ln Γ, ψ, I_x(a, b) and 2F1
computed with mpmath at 50 significant digits. The inputs are doubles printed
with repr (round-trip exact), so Rust reads exactly the arguments mpmath used.

Run: python3 gen_special.py > special_mpmath.csv   (needs `pip install mpmath`)
"""
import random
import mpmath as mp

mp.mp.dps = 50
rows = []


def f2(a, b, c, z):
    try:
        v = mp.hyp2f1(a, b, c, z, maxterms=10**6, maxprec=20000)
    except (ValueError, mp.libmp.libhyper.NoConvergence):
        return None  # mpmath cannot give a reference value: skipped
    if v == 0:
        return None
    return (1 if v > 0 else -1), mp.log(abs(v))


def add_2f1(tag, a, b, c, z):
    if c <= 0 and c == int(c):
        return  # undefined (an error in Rust)
    r = f2(a, b, c, z)
    if r is not None:
        rows.append(f"hyp2f1_{tag},{a!r},{b!r},{c!r},{z!r},{r[0]},{mp.nstr(r[1], 25)}")


for x in [1e-6, 0.001, 0.1, 0.243, 0.5, 0.999, 1.0, 1.5, 2.0, 2.5, 3.7, 9.99, 10.0, 15.3, 100.5,
          1234.5, 1e5, 3.3e7, 1e10, 1e15, -0.5, -1.5, -2.25, -10.3]:
    rows.append(f"lngamma,{x!r},0,0,0,0,{mp.nstr(mp.log(abs(mp.gamma(x))), 25)}")
    rows.append(f"digamma,{x!r},0,0,0,0,{mp.nstr(mp.digamma(x), 25)}")

for (a, b, x) in [(0.5, 0.5, 0.3), (2.0, 3.0, 0.9), (0.243, 200.0, 0.01), (50.0, 0.7, 0.95),
                  (1000.0, 1000.0, 0.49), (3.0, 1e4, 2e-4), (0.1, 0.1, 0.999)]:
    rows.append(f"betareg,{a!r},{b!r},{x!r},0,0,{mp.nstr(mp.betainc(a, b, 0, x, regularized=True), 25)}")

# BG/NBD conditional expectation: original and Euler forms.
zs = [0.01, 0.3, 0.5, 0.7, 0.9, 0.99, 0.9999, 1 - 1e-8]
for a in [0.3, 0.793, 0.99999, 1.5, 5.0]:
    for b in [0.5, 2.426, 20.0]:
        for r in [0.05, 0.243, 3.0]:
            for x in [0, 1, 5, 50, 500, 2000, 10000]:
                for z in zs:
                    if random.Random(hash((a, b, r, x, z))).random() < 0.25:
                        add_2f1("bgnbd_euler", a + b - 1 - r, a - 1, a + b + x - 1.0, z)
                    if x <= 2000 and random.Random(hash((b, a, r, x, z))).random() < 0.12:
                        add_2f1("bgnbd", r + x, b + x, a + b + x - 1.0, z)

# Pareto/NBD: 2F1(r+s+x, s+1; r+s+x+1; z) and 2F1(r+s+x, s; r+s+x+1; z), z = (alpha-beta)/(alpha+t).
rng = random.Random(1)
for _ in range(150):
    r, s = rng.choice([0.05, 0.55, 2.0]), rng.choice([0.05, 0.6, 3.0])
    x = rng.choice([0, 1, 10, 200, 2000])
    al, be = rng.choice([0.5, 10.6, 100.0]), rng.choice([0.5, 11.7, 300.0])
    t = rng.choice([0.0, 5.0, 39.0, 1000.0])
    if al >= be:
        z = (al - be) / (al + t)
        add_2f1("pnbd", r + s + x, s + 1, r + s + x + 1.0, z)
    else:
        z = (be - al) / (be + t)
        add_2f1("pnbd", r + s + x, r + x, r + s + x + 1.0, z)

# General parameters, z in (-1000, 1).
for _ in range(300):
    a = 10 ** rng.uniform(-2, 1.7)
    b = 10 ** rng.uniform(-2, 1.7)
    c = 10 ** rng.uniform(-2, 2)
    u = rng.random()
    if u < 0.5:
        z = rng.uniform(-1, 1)
    elif u < 0.75:
        z = 1 - 10 ** rng.uniform(-10, 0)
    else:
        z = -(10 ** rng.uniform(0, 3))
    add_2f1("general", a, b, c, z)

# Large parameters (~1e4): BG/NBD original form and Pareto/NBD forms at x = 10,000.
for z in [-1e3, -5.0, -0.5, 0.3, 0.7, 0.95, 0.999]:
    add_2f1("large", 0.243 + 1e4, 2.426 + 1e4, 0.793 + 2.426 + 1e4 - 1, z)
    add_2f1("large", 0.55 + 0.6 + 1e4, 1.6, 0.55 + 0.6 + 1e4 + 1, z)
    add_2f1("large", 0.55 + 0.6 + 1e4, 0.55 + 1e4, 0.55 + 0.6 + 1e4 + 1, z)
    add_2f1("large", 5000.5, 20.25, 9000.0, z)

# Integer and near-integer c - a - b (the degenerate 1 - z case).
for m in [-2, -1, 0, 1, 3]:
    for d in [0.0, 1e-12, 1e-8, 1e-5, 1e-3, 0.1]:
        for (a, b) in [(0.7, 1.3), (2.5, 0.25)]:
            for z in [0.6, 0.95, 0.999999, -5.0, -1e4]:
                add_2f1("degenerate", a, b, a + b + m + d, z)

print("kind,p1,p2,p3,p4,sign,value")
for r in rows:
    print(r)
