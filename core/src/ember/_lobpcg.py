"""``ember.lobpcg``: a few extreme eigenpairs of a symmetric positive definite (generalized)
eigenproblem ``A x = lambda B x`` by LOBPCG, the locally optimal block preconditioned
conjugate gradient method, written over ember ops so it runs on every device.

Two variants, as torch's:
  * ``"basic"`` (Knyazev 2001): Rayleigh-Ritz over the block [X, P, W] of current
    vectors, previous directions and preconditioned residuals, with the basis
    B-normalized by a Cholesky factor each step;
  * ``"ortho"`` (Stathopoulos & Wu 2002, as refined by Duersch et al. 2018): the residuals
    are B-orthonormalized against [X, P] by repeated SVQB, so the Rayleigh-Ritz step is a
    plain symmetric eigenproblem and stays stable when the basis grows nearly dependent.

Converged pairs (residual relative to ||A|| + |lambda| ||B|| under tol, leading ones
first) are locked: they leave the search basis.

Example:
    >>> a = ember.randn(30, 30, dtype=ember.float64)
    >>> A = a @ a.mT + 30 * ember.eye(30, dtype=ember.float64)
    >>> values, vectors = ember.lobpcg(A, k=2)
    >>> ember.allclose(values, ember.linalg.eigvalsh(A).flip(0)[:2])
    True
"""

from __future__ import annotations

from . import _dtype as D
from ._tensor import Tensor
from .autograd.function import Function
from .autograd.grad_mode import is_grad_enabled, no_grad

# half the significant digits of the dtype: the default residual tolerance
_DEFAULT_TOL = {D.float32: 1.2e-07 ** 0.5, D.float64: 2.23e-16 ** 0.5}


def _times(M: Tensor | None, X: Tensor) -> Tensor:
    """M @ X, with None standing for the identity."""
    return X if M is None else M @ X


def _gram(M: Tensor | None, S: Tensor) -> Tensor:
    """S^T M S."""
    return S.mT @ _times(M, S)


def _eigh(M: Tensor, largest: bool) -> tuple[Tensor, Tensor]:
    """Eigenpairs of a symmetric M, the wanted end of the spectrum first."""
    from . import linalg
    values, vectors = linalg.eigh(M)
    return (values.flip(-1), vectors.flip(-1)) if largest else (values, vectors)


class LOBPCGState:
    """The iteration's state, what a ``tracker`` receives after every step: the inputs
    ``A``, ``B``, ``iK``; the approximations ``E`` (eigenvalues) and ``X`` (eigenvectors),
    the residual ``R``, the search basis ``S``; and the parameter and variable dicts
    (``ivars["istep"]``, ``ivars["converged_count"]``, ``tvars["rerr"]``...). A tracker
    that sets ``bvars["force_stop"] = True`` ends the iteration."""

    def __init__(self, A: Tensor, B: Tensor | None, X: Tensor, iK: Tensor | None,
                 iparams: dict, fparams: dict, bparams: dict, method: str, tracker) -> None:
        self.A, self.B, self.iK, self.X = A, B, iK, X
        self.iparams, self.fparams, self.bparams = iparams, fparams, bparams
        self.method, self.tracker = method, tracker
        m, n = iparams["m"], iparams["n"]
        self.E = X.new_zeros(n)
        self.R = X.new_zeros((m, n))
        self.S = X.new_zeros((m, 3 * n))
        self.ivars: dict = {"istep": 0}
        self.fvars: dict = {}
        self.bvars: dict = {}
        self.tvars: dict = {}

    # ---- driver ---------------------------------------------------------------------

    def run(self) -> None:
        while True:
            self._step()
            if self.tracker is not None:
                self.tracker(self)
            if (self.bvars.get("force_stop", False) or self.ivars["iterations_left"] == 0
                    or self.ivars["converged_count"] >= self.iparams["k"]):
                return

    def _step(self) -> None:
        if self.ivars["istep"] == 0:
            self._start()
        elif self.method == "ortho":
            self._ortho_step()
        else:
            self._basic_step()
        self.ivars["iterations_left"] -= 1
        self.ivars["istep"] += 1

    def _start(self) -> None:
        """Rayleigh-Ritz on the initial block, then the first search basis [X, W]."""
        x_norm = float(self.X.norm())
        self.fvars["X_norm"] = x_norm
        self.fvars["A_norm"] = float(_times(self.A, self.X).norm()) / x_norm
        self.fvars["B_norm"] = float(_times(self.B, self.X).norm()) / x_norm
        self.ivars.update(iterations_left=self.iparams["niter"], converged_count=0)
        n = self.iparams["n"]
        to_standard = self._b_normalizer(self.X)
        values, Z = _eigh(to_standard.mT @ _gram(self.A, self.X) @ to_standard,
                          self.bparams["largest"])
        self.X = self.X @ (to_standard @ Z)
        self.E = values.clone()
        self._refresh_residual()
        self.S[:, :n] = self.X
        if self.method == "ortho":
            W = self._orthonormal_to(self.R, self.X)
        else:
            W = self._away_from_locked(_times(self.iK, self.R))
        self._set_directions(None, W)

    def _basic_step(self) -> None:
        n, locked, end = self.iparams["n"], self.ivars["converged_count"], self._end
        S = self.S[:, locked:end]
        to_standard = self._b_normalizer(S)
        values, Z = _eigh(to_standard.mT @ _gram(self.A, S) @ to_standard,
                          self.bparams["largest"])
        coefficients = to_standard @ Z
        self.X[:, locked:] = S @ coefficients[:, :n - locked]
        self.E[locked:] = values[:n - locked]
        P = S @ coefficients[:, n:2 * n - locked]
        locked = self._refresh_residual()
        self.S[:, :n] = self.X
        self._set_directions(P, self._away_from_locked(_times(self.iK, self.R[:, locked:])))

    def _ortho_step(self) -> None:
        from . import linalg
        n, locked, end = self.iparams["n"], self.ivars["converged_count"], self._end
        S = self.S[:, locked:end]  # B-orthonormal: Rayleigh-Ritz needs no normalizer
        values, Z = _eigh(_gram(self.A, S), self.bparams["largest"])
        free = n - locked
        self.X[:, locked:] = S @ Z[:, :free]
        self.E[locked:] = values[:free]
        # the new directions: the rest of the Ritz space, B-orthogonal to the new X
        P = S @ (Z[:, free:] @ linalg.qr(Z[:free, free:].mT).Q)
        locked = self._refresh_residual()
        self.S[:, :n] = self.X
        self.S[:, n:n + P.shape[-1]] = P
        self._set_directions(P, self._orthonormal_to(self.R[:, locked:],
                                                     self.S[:, :n + P.shape[-1]]))

    def _away_from_locked(self, W: Tensor) -> Tensor:
        """W without its B-components along the locked (converged) vectors. The basic
        method's search basis leaves those vectors out, so without this its Ritz vectors
        can converge to a locked eigenvector a second time (torch's basic method can return
        one eigenpair twice for a generalized problem)."""
        locked = self.X[:, :self.ivars["converged_count"]]
        if locked.shape[-1] == 0:
            return W
        return W - locked @ (locked.mT @ _times(self.B, W))

    def _set_directions(self, P: Tensor | None, W: Tensor) -> None:
        """Places P and W after X in the search basis S."""
        n = self.iparams["n"]
        p = 0 if P is None else P.shape[-1]
        if P is not None:
            self.S[:, n:n + p] = P
        self._end = n + p + W.shape[-1]
        self.S[:, n + p:self._end] = W
        self.ivars["converged_end"] = self._end

    # ---- convergence ----------------------------------------------------------------

    def _refresh_residual(self) -> int:
        """R = A X - B X diag(E), and how many leading pairs have converged."""
        self.R = _times(self.A, self.X) - _times(self.B, self.X) * self.E
        scale = self.fvars["A_norm"] + self.E.abs() * self.fvars["B_norm"]
        rerr = self.R.norm(dim=0) / (self.X.norm(dim=0) * scale)
        count = 0
        for ok in (rerr < self.fparams["tol"]).tolist():
            if not ok:
                break
            count += 1
        # a locked pair is no longer updated, so its residual cannot grow back
        count = max(count, self.ivars["converged_count"])
        self.ivars["converged_count"] = count
        self.tvars["rerr"] = rerr
        return count

    # ---- bases ----------------------------------------------------------------------

    def _b_normalizer(self, S: Tensor) -> Tensor:
        """Ri with Ri^T (S^T B S) Ri = I (upper triangular), from the Cholesky factor of
        S^T B S with its diagonal scaled to one first, for conditioning."""
        from . import linalg
        SBS = _gram(self.B, S)
        d = SBS.diagonal().rsqrt()
        R = linalg.cholesky(SBS * d * d.unsqueeze(-1), upper=True)
        return linalg.solve_triangular(R, d.diag_embed(), upper=True, left=False)

    def _svqb(self, U: Tensor, drop: bool, tau: float) -> Tensor:
        """U's columns made B-orthonormal through the eigenvectors of their scaled Gram
        matrix; eigenvalues under tau * max are dropped (drop) or raised to it."""
        from . import linalg
        if U.numel() == 0:
            return U
        UBU = _gram(self.B, U)
        d = UBU.diagonal()
        nonzero = (d != 0).nonzero().reshape(-1)
        if nonzero.numel() < d.numel():
            U = U[:, nonzero]
            if U.numel() == 0:
                return U
            UBU = _gram(self.B, U)
            d = UBU.diagonal()
        d = d.rsqrt()
        values, Z = linalg.eigh(UBU * d * d.unsqueeze(-1))
        floor = tau * float(values.abs().max())
        if drop:
            keep = (values > floor).nonzero().reshape(-1)
            values, Z, d = values[keep], Z[:, keep], d[keep]
        else:
            values = values.clamp(min=floor)
        return (U * d) @ (Z * values.rsqrt())

    def _orthonormal_to(self, U: Tensor, V: Tensor) -> Tensor:
        """U's columns made B-orthonormal and B-orthogonal to V's (which are already
        B-orthonormal): project V out, re-orthonormalize, repeat until both hold to
        ortho_tol. Columns that turn out dependent may be dropped (ortho_use_drop)."""
        tol = self.fparams["ortho_tol"]
        tol_drop, tol_replace = self.fparams["ortho_tol_drop"], self.fparams["ortho_tol_replace"]
        use_drop = self.bparams["ortho_use_drop"]
        for key in [key for key in self.fvars if key.startswith("ortho_")]:
            del self.fvars[key]
        bv_norm = float(_times(self.B, V).norm())
        BU = _times(self.B, U)
        VBU = V.mT @ BU
        i = j = 0
        for i in range(self.iparams["ortho_i_max"]):
            U = U - V @ VBU
            drop, tau = False, tol_drop
            for j in range(self.iparams["ortho_j_max"]):
                if use_drop:
                    U = self._svqb(U, drop, tau)
                    drop, tau = True, tol_replace
                else:
                    U = self._svqb(U, False, tol_replace)
                if U.numel() == 0:
                    self.ivars.update(ortho_i=i, ortho_j=j)
                    return U
                BU = _times(self.B, U)
                off_identity = float((U.mT @ BU - _identity_like(U)).norm())
                rerr = off_identity / (float(BU.norm()) * float(U.norm()))
                self.fvars[f"ortho_UBUmI_rerr[{i}, {j}]"] = rerr
                if rerr < tol:
                    break
            VBU = V.mT @ BU
            rerr = float(VBU.norm()) / (bv_norm * float(U.norm()))
            self.fvars[f"ortho_VBU_rerr[{i}]"] = rerr
            if rerr < tol:
                break
            if self.iparams["m"] < U.shape[-1] + V.shape[-1]:
                raise ValueError(f"Overdetermined shape of U: #B-cols(={self.iparams['m']}) >= "
                                 f"#U-cols(={U.shape[-1]}) + #V-cols(={V.shape[-1]}) must hold")
        self.ivars.update(ortho_i=i, ortho_j=j)
        return U


def _identity_like(U: Tensor) -> Tensor:
    from .ops.creation import eye
    return eye(U.shape[-1], dtype=U.dtype, device=U.device)


def _solve(A: Tensor, k: int, B: Tensor | None, X: Tensor | None, n: int, iK: Tensor | None,
           iparams: dict, fparams: dict, bparams: dict, method: str, tracker):
    """The k wanted eigenpairs of every matrix of a batch."""
    from .ops.random import randn
    from .ops.join import stack
    m = A.shape[-1]
    batch = tuple(A.shape[:-2])
    As = A.reshape((-1, m, m))
    Bs = None if B is None else B.reshape((-1, m, m))
    Xs = None if X is None else X.reshape((-1, m, n))
    values, vectors = [], []
    for i in range(As.shape[0]):
        start = (randn((m, n), dtype=A.dtype, device=A.device) if Xs is None
                 else Xs[i].to(A.dtype).clone())
        if len(batch):
            iparams["batch_index"] = i
        state = LOBPCGState(As[i], None if Bs is None else Bs[i], start, iK, iparams,
                            fparams, bparams, method, tracker)
        state.run()
        values.append(state.E[:k])
        vectors.append(state.X[:, :k])
    return (stack(values).reshape(batch + (k,)), stack(vectors).reshape(batch + (m, k)))


class _LobpcgGrad(Function):
    """Gradients of the k eigenpairs of a symmetric A (B the identity): each eigenvalue
    moves by v^T dA v, each eigenvector by -(A - lambda I)^+ dA v, the pseudo-inverse
    taken on the complement of v (solved with A - lambda I + v v^T, invertible there for a
    simple eigenvalue)."""

    @staticmethod
    def forward(ctx, A, solve):
        values, vectors = solve(A)
        ctx.save_for_backward(A, values, vectors)
        return values, vectors

    @staticmethod
    def backward(ctx, grad_values, grad_vectors):
        from . import linalg
        A, values, vectors = ctx.saved_tensors
        grad = A.new_zeros(A.shape)
        if grad_values is not None:
            grad = grad + (vectors * grad_values.unsqueeze(-2)) @ vectors.mT
        if grad_vectors is not None:
            identity = _identity_like(A)
            for j in range(values.shape[-1]):
                v = vectors[..., j:j + 1]
                g = grad_vectors[..., j:j + 1]
                g = g - v @ (v.mT @ g)
                shifted = A - values[..., j:j + 1, None] * identity + v @ v.mT
                grad = grad - linalg.solve(shifted, g) @ v.mT
        # A is symmetric: only the symmetric part of a perturbation is meaningful
        return (grad + grad.mT) / 2, None


def lobpcg(A: Tensor, k: int | None = None, B: Tensor | None = None, X: Tensor | None = None,
           n: int | None = None, iK: Tensor | None = None, niter: int | None = None,
           tol: float | None = None, largest: bool | None = None, method: str | None = None,
           tracker=None, ortho_iparams: dict | None = None, ortho_fparams: dict | None = None,
           ortho_bparams: dict | None = None) -> tuple[Tensor, Tensor]:
    """The k largest (largest=True, the default) or smallest eigenvalues and their
    eigenvectors of the symmetric positive definite problem A x = lambda B x (B None: the
    identity), for dense A of shape (*, m, m), by LOBPCG.

    X (*, m, n) is the starting block (default: n random columns, n defaulting to k, k to
    X's columns or 1); m must be at least 3 n. iK is a preconditioner applied to the
    residuals; niter caps the iterations (default 1000, -1: until converged); tol is the
    relative residual that counts as converged (default sqrt of the dtype's epsilon).
    method "ortho" (default) or "basic"; ortho_iparams/fparams/bparams tune "ortho"
    (ortho_i_max, ortho_j_max, ortho_tol, ortho_tol_drop, ortho_tol_replace,
    ortho_use_drop). tracker, if given, is called with the iteration state after each
    step. Returns (E of shape (*, k), X of shape (*, m, k)). With B None, gradients flow
    to A (which they treat as symmetric) for simple eigenvalues.

    Example:
        >>> A = ember.diag(ember.arange(1.0, 13.0, dtype=ember.float64))
        >>> E, V = ember.lobpcg(A, k=2, largest=False)
        >>> E
        tensor([1.0000, 2.0000], dtype=ember.float64)
    """
    if A.shape[-2] != A.shape[-1]:
        raise ValueError(f"lobpcg: A must be square, but got shape {tuple(A.shape)}")
    if B is not None and tuple(B.shape) != tuple(A.shape):
        raise ValueError(f"lobpcg: A and B must have the same shape, but got "
                         f"{tuple(A.shape)} and {tuple(B.shape)}")
    dtype = A.dtype if A.dtype in (D.float32, D.float64) else D.float32
    A = A.to(dtype)
    m = A.shape[-1]
    k = (1 if X is None else X.shape[-1]) if k is None else k
    n = X.shape[-1] if X is not None else (k if n is None else n)
    if m < 3 * n:
        raise ValueError(f"LOBPCG algorithm is not applicable when the number of A rows "
                         f"(={m}) is smaller than 3 x the number of requested eigenpairs "
                         f"(={n})")
    method = "ortho" if method is None else method
    if method not in ("ortho", "basic"):
        raise ValueError(f"lobpcg: method must be 'ortho' or 'basic', but got {method!r}")
    tol = _DEFAULT_TOL[dtype] if tol is None else tol
    iparams = {"m": m, "n": n, "k": k, "niter": 1000 if niter is None else niter}
    fparams = {"tol": tol}
    bparams = {"largest": True if largest is None else largest}
    if method == "ortho":
        iparams.update(ortho_iparams or {})
        fparams.update(ortho_fparams or {})
        bparams.update(ortho_bparams or {})
        iparams.setdefault("ortho_i_max", 3)
        iparams.setdefault("ortho_j_max", 3)
        for key in ("ortho_tol", "ortho_tol_drop", "ortho_tol_replace"):
            fparams.setdefault(key, tol)
        bparams.setdefault("ortho_use_drop", False)

    def solve(matrix: Tensor):
        with no_grad():
            return _solve(matrix.detach(), k, None if B is None else B.detach(), X, n, iK,
                          iparams, fparams, bparams, method, tracker)

    if is_grad_enabled() and A.requires_grad:
        if B is not None:
            raise NotImplementedError("lobpcg: gradients are computed for B=None only")
        return _LobpcgGrad.apply((A + A.mT) / 2, solve)
    if B is not None and B.requires_grad and is_grad_enabled():
        raise NotImplementedError("lobpcg: gradients are computed for B=None only")
    return solve(A)
