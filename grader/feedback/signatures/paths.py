"""Signatures of a normalization backward pass: which paths of dx are missing or mis-scaled.

With s = 1/sqrt(var + eps) per group, g = dout * gamma and means over a group of K values,
the right dx is  s*g - s*mean(g) - s*x_hat*mean(g*x_hat)  (direct, mean, variance paths; see
grader.feedback.norm). A right dx has a zero sum and a zero correlation with x_hat in every
group: without the mean path the sums are no longer zero, without the variance path the
correlations are not. Each signature below predicts dx with the paths weighted (c, a, b) the
way one mistake weights them, and asks whether the student's dx is that prediction.
"""
from grader.feedback.registry import signature

BACKWARDS = ("batchnorm_backward", "batchnorm_backward_alt", "layernorm_backward",
             "spatial_batchnorm_backward", "spatial_groupnorm_backward")


def weighted_paths(case, weightings) -> bool:
    layout = case.layout
    if case.function not in BACKWARDS or layout is None or layout.dout is None:
        return False
    if "dx" not in case.wrong_keys or not case.others_right("dx"):
        return False
    direct, mean_path, var_path = layout.paths(layout.dout * layout.gamma_full())
    for c, a, b in weightings(layout):
        if case.got_is("dx", layout.unview(c * direct + a * mean_path + b * var_path)):
            return True
    return False


@signature("dx_without_mean_path")
def dx_without_mean_path(case):
    return weighted_paths(case, lambda layout: [(1, 0, 1)])


@signature("dx_without_variance_path")
def dx_without_variance_path(case):
    return weighted_paths(case, lambda layout: [(1, 1, 0)])


@signature("dx_variance_path_doubled")
def dx_variance_path_doubled(case):
    """The derivative of the square root without its factor 1/2."""
    return weighted_paths(case, lambda layout: [(1, 1, 2)])


@signature("dx_mean_node_sum")
def dx_mean_node_sum(case):
    """A mean node of the graph (the batch mean or the variance) passed back without 1/N."""
    return weighted_paths(case, lambda layout: [(1, layout.K, 1), (1, 1, layout.K),
                                                (1, layout.K, layout.K)])


@signature("dx_reciprocal_derivative")
def dx_reciprocal_derivative(case):
    """The derivative of 1/u taken as -1/u instead of -1/u squared: the variance path is
    scaled by the standard deviation of its group."""
    return weighted_paths(case, lambda layout: [(1, 1, 1 / layout.stats[1])])


@signature("dx_closed_form_sums")
def dx_closed_form_sums(case):
    """The closed form with sums where it needs means (1/N missing in front of both)."""
    return weighted_paths(case, lambda layout: [(1, layout.K, layout.K)])
