"""Spectral norms (largest singular values) of stacks of square matrices.

Spectral norms are taken on stacks of explicit matrices. A step Jacobian's largest singular
values lie close together (sigma_2 / sigma_1 up to 0.999 in the networks the pages draw), so
an iterative method needs as much work as LAPACK's symmetric eigensolver on J^T J, which is
what `spectral_norms` uses. The longer a product of Jacobians, the further its largest
singular value stands apart, and for those `lanczos_spectral_norms` settles in a few steps of
Golub-Kahan-Lanczos bidiagonalization. From a unit v_1 (random, fixed seed)::

    alpha_1 u_1 = M v_1
    beta_j v_{j+1} = M^T u_j - alpha_j v_j              (alpha, beta >= 0 make u, v unit)
    alpha_{j+1} u_{j+1} = M v_{j+1} - beta_j u_j

every new u and v orthogonalised again against the earlier ones. After k steps
M V_k = U_k B_k with B_k the (k, k) upper bidiagonal of the alphas (diagonal) and betas
(above it), so the largest singular value theta of B_k approaches ||M||_2 from below; with x
its left singular vector, M^T M has an eigenvalue within theta * beta_k |x_k| of theta^2, so
some singular value of M lies within r = beta_k |x_k| of theta. A matrix stops once
r <= LANCZOS_TOLERANCE * theta (tested after each number of steps in LANCZOS_CHECKS); one
that has not by the last gets the exact norm.
"""

from __future__ import annotations

import numpy as np

from rnnviz.engine.gradcheck import TINY

LANCZOS_CHECKS = (8, 16, 32, 48, 64)  # steps after which settled matrices stop
LANCZOS_TOLERANCE = 1e-10  # relative distance within which a singular value is certified
SQUARES_SAFE = 1e140      # entries up to this size, and down to its inverse, square safely


def spectral_norms(matrices: np.ndarray, dense: int | None = None) -> np.ndarray:
    """||M||_2 (the largest singular value) of every matrix of a stack, as sqrt(largest
    eigenvalue of M^T M): LAPACK's symmetric eigensolver, cheaper than an SVD and as exact for
    the largest singular value (to about n times float64's round-off). A matrix whose squares
    would under- or overflow is divided by its largest entry first.

    Args:
        matrices: (K, n, n).
        dense: None; or d when every matrix is d dense columns and then (d, d) blocks that
            are all diagonal (`gram`), which makes M^T M cheaper.

    Returns:
        (K,) norms.
    """
    if matrices.shape[0] == 0:
        return np.zeros(0)
    scaled, scales = _in_range(matrices)
    squares = np.linalg.eigvalsh(gram(scaled, dense))[:, -1]
    return scales * np.sqrt(np.maximum(squares, 0.0))


def gram(matrices: np.ndarray, dense: int | None = None) -> np.ndarray:
    """M^T M of every matrix of a stack.

    With dense = d, every M (n, n) must be d dense columns D followed by column blocks E_c
    (c = 1 .. b-1, b = n / d) whose (d, d) blocks are all diagonal, block (r, c) being
    diag(e_rc) (the LSTM's step Jacobian: c<t-1> reaches a<t> and c<t> unit by unit). Then
    only D^T D is a product of matrices, a quarter of the whole product's multiply-adds for
    b = 2::

        M^T M = [[D^T D,     D^T E_c                  ],
                 [E_c^T D,   diag(sum_r e_rc * e_rc') ]]
        (D^T E_c)[i, j] = sum_r D[r d + j, i] e_rc[j]

    each entry outside D^T D the same sum of b terms the whole product takes (its other
    terms are zeros). The other entries of M are not read.

    Args:
        matrices: (K, n, n).
        dense: None (any matrices) or d, a divisor of n.

    Returns:
        (K, n, n).
    """
    n = matrices.shape[-1]
    if dense is None or dense == n:
        return matrices.transpose(0, 2, 1) @ matrices
    K, blocks = matrices.shape[0], n // dense
    columns = matrices[:, :, :dense]
    diagonal = block_diagonals(matrices, dense)  # (K, b, b - 1, d)
    out = np.zeros((K, n, n))
    np.matmul(columns.transpose(0, 2, 1), columns, out=out[:, :dense, :dense])
    rows = columns.reshape(K, blocks, dense, dense).transpose(0, 1, 3, 2)  # [k, r] = D_r^T
    unit = np.arange(dense)
    for c in range(1, blocks):
        across = slice(c * dense, (c + 1) * dense)
        cross = sum(rows[:, r] * diagonal[:, r, None, c - 1] for r in range(blocks))
        out[:, :dense, across] = cross
        out[:, across, :dense] = cross.transpose(0, 2, 1)
        for c2 in range(1, blocks):
            out[:, c * dense + unit, c2 * dense + unit] = sum(
                diagonal[:, r, c - 1] * diagonal[:, r, c2 - 1] for r in range(blocks))
    return out


def block_diagonals(matrices: np.ndarray, dense: int) -> np.ndarray:
    """The diagonals of the (d, d) blocks right of the first d columns (`gram`): (..., b,
    b - 1, d), [..., r, c - 1, i] = M[..., r d + i, c d + i], for matrices (..., n, n)."""
    blocks = matrices.shape[-1] // dense
    unit = np.arange(dense)
    rows = (np.arange(blocks) * dense)[:, None, None] + unit
    columns = (np.arange(1, blocks) * dense)[None, :, None] + unit
    return matrices[..., rows, columns]


def times(product: np.ndarray, matrix: np.ndarray, dense: int | None,
          out: np.ndarray) -> np.ndarray:
    """product @ matrix into `out` (n, n), for a matrix of `gram`'s form when dense = d:
    only its dense columns are multiplied as a matrix, each later column block is the sum
    over row blocks r of product's columns of block r scaled by the diagonal e_rc."""
    if dense is None or dense == matrix.shape[-1]:
        return np.matmul(product, matrix, out=out)
    blocks = matrix.shape[-1] // dense
    diagonal = block_diagonals(matrix, dense)  # (b, b - 1, d)
    np.matmul(product, matrix[:, :dense], out=out[:, :dense])
    for c in range(1, blocks):
        out[:, c * dense: (c + 1) * dense] = sum(
            product[:, r * dense: (r + 1) * dense] * diagonal[r, c - 1] for r in range(blocks))
    return out


def _in_range(matrices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(M / s, s) for a (K, n, n) stack: s (K,) = max |M_ij| for the matrices whose squares
    would leave float64's range (largest entry beyond SQUARES_SAFE or below 1 / SQUARES_SAFE,
    not zero), 1 for the others, which are not copied."""
    largest = np.maximum(matrices.max(axis=(1, 2)), -matrices.min(axis=(1, 2)))
    scales = np.where((largest > SQUARES_SAFE) | ((largest > 0) & (largest < 1 / SQUARES_SAFE)),
                      largest, 1.0)
    if np.all(scales == 1.0):
        return matrices, scales
    return matrices / scales[:, None, None], scales


def lanczos_spectral_norms(matrices: np.ndarray,
                           rng: np.random.Generator | None = None) -> np.ndarray:
    """||M||_2 of every matrix of a stack by Golub-Kahan-Lanczos bidiagonalization (the
    module's docstring), to LANCZOS_TOLERANCE relative: fast where the largest singular value
    stands apart from the next; a matrix that has not settled by LANCZOS_CHECKS[-1] steps
    gets `spectral_norms`.

    Args:
        matrices: (K, n, n).
        rng: generator for the starting vectors (default: seed 0).

    Returns:
        (K,) norms, from below.
    """
    if matrices.shape[0] == 0:
        return np.zeros(0)
    scaled, scales = _in_range(matrices)
    norms, settled = _lanczos_largest(scaled, np.random.default_rng(0) if rng is None else rng)
    if not settled.all():
        norms[~settled] = spectral_norms(scaled[~settled])
    return scales * norms


def _orthonormalise(w: np.ndarray, basis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(K, n) vectors made orthogonal to the (K, j, n) rows of `basis` and then unit:
    (norms after the projection (K,), unit vectors (K, n); zero where the norm is zero)."""
    if basis.shape[1]:
        w = w - (np.matmul(w[:, None, :], basis.transpose(0, 2, 1)) @ basis)[:, 0]
    norms = np.sqrt(np.einsum("kn,kn->k", w, w))
    return norms, w / np.where(norms > TINY, norms, 1.0)[:, None]


def _top_ritz(alpha: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(theta, r) of the bidiagonals B_k (alpha (K, k) on the diagonal, beta (K, k) the
    superdiagonal and, last, beta_k): B_k's largest singular value and its residual bound,
    from the eigenvalues and vectors of the tridiagonal B_k B_k^T."""
    K, k = alpha.shape
    diagonal = np.arange(k)
    T = np.zeros((K, k, k))  # B_k B_k^T
    T[:, diagonal, diagonal] = alpha ** 2
    T[:, diagonal[:-1], diagonal[:-1]] += beta[:, :-1] ** 2
    T[:, diagonal[:-1], diagonal[1:]] = T[:, diagonal[1:], diagonal[:-1]] = (
        alpha[:, 1:] * beta[:, :-1])
    squares, left = np.linalg.eigh(T)
    return np.sqrt(np.maximum(squares[:, -1], 0.0)), beta[:, -1] * np.abs(left[:, -1, -1])


def _lanczos_largest(M: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Golub-Kahan-Lanczos on every matrix of M (K, n, n) at once: (theta (K,), settled (K,)),
    settled where the residual bound met LANCZOS_TOLERANCE within LANCZOS_CHECKS[-1] steps."""
    K, n, _ = M.shape
    steps = min(LANCZOS_CHECKS[-1], n)
    theta, settled = np.zeros(K), np.zeros(K, dtype=bool)
    live = np.arange(K)  # the matrices still iterating, and their rows below
    U, V = np.empty((K, steps, n)), np.empty((K, steps + 1, n))  # u_j and v_j as rows
    alpha, beta = np.zeros((K, steps)), np.zeros((K, steps))
    V[:, 0] = _orthonormalise(rng.standard_normal((K, n)), V[:, :0])[1]
    for j in range(steps):
        u = (M @ V[:, j, :, None])[..., 0]
        if j:
            u -= beta[:, j - 1, None] * U[:, j - 1]
        alpha[:, j], U[:, j] = _orthonormalise(u, U[:, :j])
        v = (M.transpose(0, 2, 1) @ U[:, j, :, None])[..., 0] - alpha[:, j, None] * V[:, j]
        beta[:, j], V[:, j + 1] = _orthonormalise(v, V[:, : j + 1])
        if j + 1 not in LANCZOS_CHECKS and j + 1 < steps:
            continue
        going = ~settled[live]
        theta[live[going]], residual = _top_ritz(alpha[going, : j + 1], beta[going, : j + 1])
        settled[live[going]] = residual <= LANCZOS_TOLERANCE * theta[live[going]]
        going = ~settled[live]
        if not going.any():
            break
        if 2 * going.sum() <= live.size:  # copy the ones still going once half have settled
            live, M, alpha, beta = live[going], M[going], alpha[going], beta[going]
            U, V = _rows_kept(U, going, j + 1), _rows_kept(V, going, j + 2)
    return theta, settled


def _rows_kept(rows: np.ndarray, keep: np.ndarray, used: int) -> np.ndarray:
    """(K, steps, n) -> (kept, steps, n): the first `used` rows of the matrices `keep` picks,
    with room for the rest (only the rows in use are copied)."""
    kept = np.empty((int(keep.sum()), *rows.shape[1:]))
    kept[:, :used] = rows[keep, :used]
    return kept
