"""LSTM reconstruction detectors: the LSTM-VAE and the LSTM autoencoder with Bahdanau attention.

Both follow the notebooks of ``Sodz99/TimeSeries-Anomaly-Detection``
(``LSTM_VAE.ipynb``, ``LSTM_Attention.ipynb``): a window of the series is
encoded by LSTMs, decoded back, and scored by its reconstruction error.

Contexts arrive left-padded (``context_mask`` False on padding). An LSTM run
over padded zeros would change its state, so every module first moves the
real steps of each context to the front (:func:`compact`) and runs its LSTMs
on packed sequences: a row's result is the same whatever padding its batch
needed. Reconstructions, losses and scores are in these compacted
coordinates, over real steps only.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

__all__ = [
    "SCORE_REDUCTIONS",
    "BahdanauAttention",
    "LSTMAttentionAE",
    "LSTMAttentionDecoder",
    "LSTMAttentionEncoder",
    "LSTMVAE",
    "LSTMVAEDecoder",
    "LSTMVAEEncoder",
    "ReconstructionLoss",
    "VAELoss",
    "compact",
]

#: How a context's per-step errors become its score: "mean" over its real steps
#: (the notebooks' window score), or the error of its "last" real step.
SCORE_REDUCTIONS = ("mean", "last")


# -- shared pieces ------------------------------------------------------------------
def compact(context, context_mask):
    """Move each context's real steps to the front, keeping their order.

    Parameters
    ----------
    context : Tensor (B, W, C)
    context_mask : Tensor of bool (B, W), True on real steps

    Returns
    -------
    x : Tensor (B, W, C), real steps first, zeros after
    lengths : Tensor of int64 (B,), real steps per context
    mask : Tensor of bool (B, W), True on the first ``lengths`` positions
    """
    B, W, C = context.shape
    # a stable sort of "is padding" puts real steps first, in time order (holes too)
    order = torch.argsort((~context_mask).to(torch.uint8), dim=1, stable=True)  # (B, W)
    x = torch.gather(context, 1, order.unsqueeze(-1).expand(B, W, C))  # (B, W, C)
    lengths = context_mask.sum(dim=1)  # (B,)
    mask = torch.arange(W, device=context.device) < lengths.unsqueeze(1)  # (B, W)
    x = torch.where(mask.unsqueeze(-1), x, torch.zeros((), dtype=x.dtype, device=x.device))
    return x, lengths, mask


def run_lstm(lstm: nn.LSTM, x, lengths):
    """A batch-first LSTM over the first ``lengths`` steps of each row only.

    Returns the outputs (B, W, H), zero after each row's length, and the last
    layer's final hidden state (B, H) (the state at each row's last real step).
    """
    W = x.shape[1]
    # a context with no real step (everything missing) reads one zero step
    steps = lengths.clamp(min=1).cpu()  # (B,) packing needs the lengths on the CPU
    packed = pack_padded_sequence(x, steps, batch_first=True, enforce_sorted=False)
    out, (h_n, _) = lstm(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=W)  # (B, W, H)
    return out, h_n[-1]  # (B, W, H), (B, H)


def step_errors(recon, target, mask):
    """Squared error per step, averaged over channels, zero on padding: (B, W)."""
    err = ((recon - target) ** 2).mean(dim=-1)  # (B, W)
    return err * mask


def reduce_errors(err, mask, lengths, reduction: str):
    """Per-context score (B,) from per-step errors: mean of real steps, or the last one.

    A context without any real step scores 0 (nothing to call anomalous).
    """
    if reduction == "mean":
        return err.sum(dim=1) / lengths.clamp(min=1)  # (B,)
    if reduction == "last":
        last = (lengths - 1).clamp(min=0)  # (B,)
        return err.gather(1, last.unsqueeze(1)).squeeze(1) * (lengths > 0)  # (B,)
    raise ValueError(f"score reduction must be one of {SCORE_REDUCTIONS}, got {reduction!r}.")


def masked_mse(recon, target, mask):
    """Mean squared error over the real (step, channel) elements of a batch."""
    err = step_errors(recon, target, mask)  # (B, W)
    return err.sum() / mask.sum().clamp(min=1)


# -- LSTM-VAE -------------------------------------------------------------------------
class LSTMVAEEncoder(nn.Module):
    """LSTM(C -> hidden) whose final state gives the posterior's mean and log-variance.

    ``forward(context, context_mask)`` returns the posterior mean ``mu`` (B,
    latent_size): the detector's embedding ``h_t`` (``d_model = latent_size``).
    """

    def __init__(self, *, n_channels: int, hidden_size: int = 128, latent_size: int = 32):
        super().__init__()
        self.d_model = latent_size
        self.lstm = nn.LSTM(n_channels, hidden_size, batch_first=True)
        self.to_mu = nn.Linear(hidden_size, latent_size)
        self.to_log_var = nn.Linear(hidden_size, latent_size)

    def posterior(self, x, lengths):
        """(mu, log_var), each (B, latent), of compacted contexts ``x`` (B, W, C)."""
        _, h = run_lstm(self.lstm, x, lengths)  # (B, hidden)
        return self.to_mu(h), self.to_log_var(h)  # (B, L), (B, L)

    def forward(self, context, context_mask):
        x, lengths, _ = compact(context, context_mask)  # (B, W, C), (B,), (B, W)
        return self.posterior(x, lengths)[0]  # (B, L)


class LSTMVAEDecoder(nn.Module):
    """The latent repeated over the window, LSTM(latent -> hidden), linear to the channels."""

    def __init__(self, *, n_channels: int, hidden_size: int = 128, latent_size: int = 32):
        super().__init__()
        self.lstm = nn.LSTM(latent_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, n_channels)

    def forward(self, z, lengths, n_steps: int):
        """z (B, L) -> reconstruction (B, n_steps, C) of the first ``lengths`` steps."""
        z_seq = z.unsqueeze(1).expand(-1, n_steps, -1)  # (B, W, L)
        out, _ = run_lstm(self.lstm, z_seq, lengths)  # (B, W, hidden)
        return self.out(out)  # (B, W, C)


class LSTMVAE(nn.Module):
    """LSTM variational autoencoder of the context ending at t (the notebook's LSTM-VAE).

    Training samples ``z = mu + sigma * eps`` (the reparameterisation);
    evaluation decodes from ``mu``, so scores and validation losses are
    deterministic.

    Parameters
    ----------
    n_channels : int
    hidden_size : int, default=128
    latent_size : int, default=32
    score_reduction : {"mean", "last"}, default="mean"
        How ``anomaly_score`` reduces the per-step errors of a context.
    """

    def __init__(
        self,
        *,
        n_channels: int,
        hidden_size: int = 128,
        latent_size: int = 32,
        score_reduction: str = "mean",
    ):
        super().__init__()
        sizes = dict(n_channels=n_channels, hidden_size=hidden_size, latent_size=latent_size)
        self.encoder = LSTMVAEEncoder(**sizes)
        self.decoder = LSTMVAEDecoder(**sizes)
        self.score_reduction = score_reduction

    def forward(self, context, context_mask, **_):
        """Returns (reconstruction, target, mask (B, W), mu (B, L), log_var (B, L))."""
        x, lengths, mask = compact(context, context_mask)  # (B, W, C), (B,), (B, W)
        mu, log_var = self.encoder.posterior(x, lengths)  # (B, L), (B, L)
        z = mu
        if self.training:
            z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)  # (B, L)
        recon = self.decoder(z, lengths, x.shape[1])  # (B, W, C)
        return recon, x, mask, mu, log_var

    def anomaly_score(self, context, context_mask):
        """Reconstruction error (decoded from ``mu``) of each context: (B,)."""
        x, lengths, mask = compact(context, context_mask)  # (B, W, C), (B,), (B, W)
        mu, _ = self.encoder.posterior(x, lengths)  # (B, L)
        recon = self.decoder(mu, lengths, x.shape[1])  # (B, W, C)
        err = step_errors(recon, x, mask)  # (B, W)
        return reduce_errors(err, mask, lengths, self.score_reduction)  # (B,)


class VAELoss(nn.Module):
    """Reconstruction MSE plus ``kl_weight`` times the KL divergence to N(0, I).

    Parameters
    ----------
    kl_weight : float, default=0.1
    kl_reduction : {"sum", "mean"}, default="sum"
        The KL of a window is summed over latent dimensions; "sum" then sums
        it over the windows of the batch (the notebook's
        ``-0.5 * torch.sum(...)``, whose weight grows with the batch size),
        "mean" averages it over them.
    """

    def __init__(self, *, kl_weight: float = 0.1, kl_reduction: str = "sum"):
        super().__init__()
        self.kl_weight = float(kl_weight)
        self.kl_reduction = kl_reduction

    def forward(self, y_pred, y_true=None):
        recon, target, mask, mu, log_var = y_pred  # (B,W,C), (B,W,C), (B,W), (B,L), (B,L)
        mse = masked_mse(recon, target, mask)
        kl_rows = -0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(dim=-1)  # (B,)
        kl = kl_rows.sum() if self.kl_reduction == "sum" else kl_rows.mean()
        return mse + self.kl_weight * kl, {"mse": mse, "kl": kl}


# -- LSTM autoencoder with Bahdanau attention ---------------------------------------
class LSTMAttentionEncoder(nn.Module):
    """Two stacked LSTMs (C -> hidden -> bottleneck); the bottleneck is their mean-pooled output.

    ``forward(context, context_mask)`` returns the mean of the second LSTM's
    outputs over the real steps, (B, bottleneck_size): the vector that starts
    the decoder (the notebook's ``bottleneck="mean_pool"``) and the detector's
    embedding ``h_t``.
    """

    def __init__(self, *, n_channels: int, hidden_size: int = 128, bottleneck_size: int = 32):
        super().__init__()
        self.d_model = bottleneck_size
        self.lstm1 = nn.LSTM(n_channels, hidden_size, batch_first=True)
        self.lstm2 = nn.LSTM(hidden_size, bottleneck_size, batch_first=True)

    def states(self, x, lengths, mask):
        """Per-step states (B, W, E), zero on padding, and their mean (B, E)."""
        h1, _ = run_lstm(self.lstm1, x, lengths)  # (B, W, hidden)
        states, _ = run_lstm(self.lstm2, h1, lengths)  # (B, W, E)
        m = mask.unsqueeze(-1).to(states.dtype)  # (B, W, 1)
        pooled = (states * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)  # (B, E)
        return states, pooled

    def forward(self, context, context_mask):
        x, lengths, mask = compact(context, context_mask)  # (B, W, C), (B,), (B, W)
        return self.states(x, lengths, mask)[1]  # (B, E)


class BahdanauAttention(nn.Module):
    """Additive attention: ``softmax_j(v . tanh(W_e s_j + W_d q))`` over the real steps.

    Parameters
    ----------
    enc_size, dec_size : int
        Widths of the encoder states (keys and values) and of the query.
    attention_size : int, default=64
    """

    def __init__(self, *, enc_size: int, dec_size: int, attention_size: int = 64):
        super().__init__()
        self.w_enc = nn.Linear(enc_size, attention_size, bias=False)
        self.w_dec = nn.Linear(dec_size, attention_size, bias=False)
        self.v = nn.Linear(attention_size, 1, bias=False)

    def forward(self, states, keys, query, mask):
        """states (B, W, E), keys = w_enc(states) (B, W, A), query (B, D), mask (B, W).

        ``keys`` are passed in so that a decoder computes them once per window.
        Returns the context vector (B, E) and the weights (B, W).
        """
        energy = torch.tanh(keys + self.w_dec(query).unsqueeze(1))  # (B, W, A)
        score = self.v(energy).squeeze(-1)  # (B, W)
        # padding gets no weight; a context without a real step attends to its zero states
        allowed = mask | ~mask.any(dim=1, keepdim=True)  # (B, W)
        weights = torch.softmax(score.masked_fill(~allowed, float("-inf")), dim=1)  # (B, W)
        return torch.bmm(weights.unsqueeze(1), states).squeeze(1), weights  # (B, E), (B, W)


class LSTMAttentionDecoder(nn.Module):
    """One LSTM step per output step, fed [previous output; attention context].

    Starts from the hidden state (bottleneck, 0) and a zero previous output,
    and feeds back its own reconstruction (no teacher forcing), as the
    notebook does.
    """

    def __init__(self, *, n_channels: int, bottleneck_size: int = 32):
        super().__init__()
        # nn.LSTMCell has exactly the weights of the notebook's one-step nn.LSTM
        self.cell = nn.LSTMCell(n_channels + bottleneck_size, bottleneck_size)
        self.out = nn.Linear(bottleneck_size, n_channels)

    def forward(self, attention: BahdanauAttention, states, pooled, mask):
        """Reconstruction (B, W, C) of the compacted window from its encoder states."""
        B, W, _ = states.shape
        keys = attention.w_enc(states)  # (B, W, A)
        h, c = pooled, torch.zeros_like(pooled)  # (B, E), (B, E)
        prev = states.new_zeros(B, self.out.out_features)  # (B, C)
        outputs = []
        # step i reads only the outputs before it: steps past a row's length
        # (masked out of loss and score) never reach its real steps
        for _ in range(W):
            ctx, _ = attention(states, keys, h, mask)  # (B, E)
            h, c = self.cell(torch.cat([prev, ctx], dim=-1), (h, c))  # (B, E), (B, E)
            prev = self.out(h)  # (B, C)
            outputs.append(prev)
        return torch.stack(outputs, dim=1)  # (B, W, C)


class LSTMAttentionAE(nn.Module):
    """Sequence-to-sequence LSTM autoencoder with Bahdanau attention (the notebook's model).

    Parameters
    ----------
    n_channels : int
    hidden_size : int, default=128
        First encoder LSTM.
    bottleneck_size : int, default=32
        Second encoder LSTM, decoder LSTM and embedding width.
    attention_size : int, default=64
    score_reduction : {"mean", "last"}, default="mean"
        How ``anomaly_score`` reduces the per-step errors of a context.
    """

    def __init__(
        self,
        *,
        n_channels: int,
        hidden_size: int = 128,
        bottleneck_size: int = 32,
        attention_size: int = 64,
        score_reduction: str = "mean",
    ):
        super().__init__()
        self.encoder = LSTMAttentionEncoder(
            n_channels=n_channels, hidden_size=hidden_size, bottleneck_size=bottleneck_size
        )
        self.attention = BahdanauAttention(
            enc_size=bottleneck_size, dec_size=bottleneck_size, attention_size=attention_size
        )
        self.decoder = LSTMAttentionDecoder(n_channels=n_channels, bottleneck_size=bottleneck_size)
        self.score_reduction = score_reduction
        # the notebook's initialisation: Xavier-uniform linear layers, zero biases
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def reconstruct(self, context, context_mask):
        """(reconstruction (B, W, C), compacted target (B, W, C), mask (B, W), lengths (B,))."""
        x, lengths, mask = compact(context, context_mask)  # (B, W, C), (B,), (B, W)
        states, pooled = self.encoder.states(x, lengths, mask)  # (B, W, E), (B, E)
        recon = self.decoder(self.attention, states, pooled, mask)  # (B, W, C)
        return recon, x, mask, lengths

    def forward(self, context, context_mask, **_):
        """Returns (reconstruction, target, mask) for :class:`ReconstructionLoss`."""
        recon, x, mask, _ = self.reconstruct(context, context_mask)
        return recon, x, mask

    def anomaly_score(self, context, context_mask):
        """Reconstruction error of each context: (B,)."""
        recon, x, mask, lengths = self.reconstruct(context, context_mask)
        err = step_errors(recon, x, mask)  # (B, W)
        return reduce_errors(err, mask, lengths, self.score_reduction)  # (B,)


class ReconstructionLoss(nn.Module):
    """Mean squared error over the real steps of each window."""

    def forward(self, y_pred, y_true=None):
        recon, target, mask = y_pred  # (B, W, C), (B, W, C), (B, W)
        mse = masked_mse(recon, target, mask)
        return mse, {"mse": mse}
