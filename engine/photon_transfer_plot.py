"""The photon-transfer plot (PNG): temporal variance against dark-subtracted mean, per channel."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402

from engine.output import atomic_path  # noqa: E402
from physical.calibration import Calibration  # noqa: E402

__all__ = ["write_photon_transfer_plot"]

_COLOURS = {"R": "tab:red", "Gr": "tab:green", "Gb": "olivedrab", "B": "tab:blue", "all": "black"}


def write_photon_transfer_plot(calibration: Calibration, path: str | Path, title: str = "") -> None:
    fig, (ax_ptc, ax_snr) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
    for name, ch in calibration.channels.items():
        colour = _COLOURS.get(name, None)
        dark = ch.dark
        x = [s.mean_dn - dark.mean_dn for s in ch.levels]
        y = [s.temporal_var_dn2 - dark.temporal_var_dn2 for s in ch.levels]
        ax_ptc.plot(x, y, "o", ms=3, color=colour, label=f"{name}: K = {ch.gain_dn_per_e:.4g} DN/e⁻")
        xmax = ch.saturation_mean_dn - dark.mean_dn
        ax_ptc.plot([0, xmax], [0, ch.gain_dn_per_e * xmax], "-", lw=0.8, color=colour)
        ax_ptc.axvline(xmax, ls=":", lw=0.8, color=colour)
        # SNR up to saturation; past it the clipped variance makes the ratio meaningless
        upto = [s for s in ch.levels if s.mean_dn <= ch.saturation_mean_dn and s.mean_dn > dark.mean_dn]
        mu_e = [(s.mean_dn - dark.mean_dn) / ch.gain_dn_per_e for s in upto]
        snr = [(s.mean_dn - dark.mean_dn) / s.temporal_var_dn2**0.5 for s in upto]
        ax_snr.loglog(mu_e, snr, "o", ms=3, color=colour, label=name)
    if mu_e:
        ideal = [mu_e[0], mu_e[-1]]
        ax_snr.loglog(ideal, [v**0.5 for v in ideal], "--", lw=0.8, color="grey", label="ideal √μ_e")
    ax_snr.xaxis.set_minor_formatter(NullFormatter())
    ax_ptc.set_xlabel("μ_y − μ_y.dark (stored DN)")
    ax_ptc.set_ylabel("σ²_y − σ²_y.dark (DN²)")
    ax_ptc.set_title("photon transfer (dotted: saturation, max variance)")
    ax_ptc.legend(fontsize=7)
    ax_snr.set_xlabel("μ_e (electrons)")
    ax_snr.set_ylabel("SNR")
    ax_snr.set_title("signal-to-noise ratio")
    ax_snr.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
