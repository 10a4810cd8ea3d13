"""Tests of benchmark.formula: published threshold values, refusals with reason codes, safety."""

from __future__ import annotations

import ast
import dataclasses
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import benchmark.formula as formula_module
from benchmark.errors import FormulaError
from benchmark.formula import ALLOWED_FUNCTIONS, Formula, compile_formula

# IEC 60034-30-1 / EU Reg. 2019/1781 Annex I Table 4 (UK SI 2021/745 Sch. 16 Table 28), 4 poles,
# eta = A*x**3 + B*x**2 + C*x + D with x = log10(P / 1 kW).
IE3_4POLE = "0.0773*log10(P)**3 - 1.8951*log10(P)**2 + 9.2984*log10(P) + 83.7025"
IE2_4POLE = "0.0278*x**3 - 1.9247*x**2 + 10.4395*x + 80.9761"
# EU Reg. 2019/1782 Annex I Table 1, basic-voltage external power supply, average active efficiency.
EPS_BASIC = ("piecewise(Po <= 1, 0.5*Po + 0.160, Po <= 49, 0.071*ln(Po) - 0.0014*Po + 0.67, "
             "0.880)")


def refusal(source: str, parameters=("P",)) -> FormulaError:
    with pytest.raises(FormulaError) as info:
        compile_formula(source, parameters)
    assert len(info.value.problems) == 1
    assert info.value.problems[0].message
    return info.value


# --- published values -----------------------------------------------------------------------

def test_ie3_four_pole_at_1_5_kw_matches_published_table():
    eta = compile_formula(IE3_4POLE, ["P"])(P=1.5)
    assert isinstance(eta, np.ndarray) and eta.dtype == np.float64
    assert round(float(eta), 1) == 85.3


def test_ie2_four_pole_with_x_as_parameter_matches_published_table():
    eta = compile_formula(IE2_4POLE, ["x"])(x=math.log10(1.5))
    assert round(float(eta), 1) == 82.8


def test_ie3_four_pole_is_vectorised_and_keeps_shape():
    formula = compile_formula(IE3_4POLE, ["P"])
    power = np.array([[0.75, 1.5], [7.5, 1.5]])
    eta = formula(P=power)
    assert eta.shape == (2, 2) and eta.dtype == np.float64
    # Table values for 4 poles: 0.75 kW 82.5, 1.5 kW 85.3, 7.5 kW 90.4.
    assert np.array_equal(np.round(eta, 1), [[82.5, 85.3], [90.4, 85.3]])


def test_eu_power_supply_piecewise_in_one_array_call():
    efficiency = compile_formula(EPS_BASIC, ["Po"])(Po=np.array([0.5, 49.0, 100.0]))
    expected = [0.5 * 0.5 + 0.160, 0.071 * math.log(49) - 0.0014 * 49 + 0.67, 0.880]
    assert efficiency.shape == (3,)
    assert np.allclose(efficiency, expected, rtol=0, atol=1e-12)


def test_us_refrigerator_linear_formula_and_used_names():
    formula = compile_formula("8.82*AV + 248.4", ["AV", "volume_total"])
    assert formula.names == frozenset({"AV"})
    assert float(formula(AV=20.0, volume_total=99.0)) == pytest.approx(8.82 * 20 + 248.4)


def test_piecewise_first_true_condition_wins():
    formula = compile_formula("piecewise(P > 0, 1, P > 1, 2, 3)", ["P"])
    assert formula(P=np.array([5.0, -1.0])).tolist() == [1.0, 3.0]


@pytest.mark.parametrize("source, reference", [
    ("log10(P)", np.log10), ("ln(P)", np.log), ("log(P)", np.log), ("exp(P)", np.exp),
    ("sqrt(P)", np.sqrt), ("abs(P)", np.abs),
])
def test_unary_functions(source, reference):
    values = np.array([0.5, 2.0, 10.0, -3.0]) if source == "abs(P)" else np.array([0.5, 2.0, 10.0])
    assert np.allclose(compile_formula(source, ["P"])(P=values), reference(values))


def test_whitelist_is_exactly_the_documented_functions():
    assert {"log10", "ln", "log", "exp", "sqrt", "abs", "min", "max", "where",
                                 "piecewise"} == ALLOWED_FUNCTIONS


def test_min_max_are_elementwise_over_several_arguments():
    formula = compile_formula("max(P, 2, Q) + min(P, Q)", ["P", "Q"])
    result = formula(P=np.array([1.0, 5.0, 3.0]), Q=np.array([0.0, 1.0, 4.0]))
    assert result.tolist() == [2.0 + 0.0, 5.0 + 1.0, 4.0 + 3.0]


def test_negative_and_fractional_literal_exponents_are_allowed():
    formula = compile_formula("P**-2 + P**0.5 + P**16", ["P"])
    assert float(formula(P=4.0)) == pytest.approx(4.0**-2 + 2.0 + 4.0**16)


# --- comparisons and logic -------------------------------------------------------------------

def test_where_with_and_is_elementwise():
    formula = compile_formula("where(P > 1 and P <= 49, 1, 0)", ["P"])
    result = formula(P=np.array([0.5, 1.0, 2.0, 49.0, 50.0]))
    assert result.dtype == np.float64
    assert result.tolist() == [0.0, 0.0, 1.0, 1.0, 0.0]


def test_chained_comparison_is_and_combined():
    formula = compile_formula("where(1 < P <= 49, 1, 0)", ["P"])
    assert formula(P=np.array([0.5, 1.0, 2.0, 49.0, 50.0])).tolist() == [0, 0, 1, 1, 0]


def test_or_not_equality():
    formula = compile_formula("not (P > 1) or P == 50 or P != P", ["P"])
    assert formula(P=np.array([0.5, 2.0, 50.0])).tolist() == [1.0, 0.0, 1.0]


def test_comparison_results_take_part_in_arithmetic():
    formula = compile_formula("(P > 1) - (P > 2) - -(P > 3)", ["P"])
    assert formula(P=np.array([0.0, 1.5, 2.5, 3.5])).tolist() == [0.0, 1.0, 0.0, 1.0]


# --- evaluation behaviour --------------------------------------------------------------------

def test_domain_errors_give_inf_and_nan_without_warnings():
    formula = compile_formula("log10(P) + 0*sqrt(Q) + 0*(1/R)", ["P", "Q", "R"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(compile_formula("log10(P)", ["P"])(P=0.0)) == -np.inf
        assert np.isnan(compile_formula("sqrt(P)", ["P"])(P=-1.0))
        assert float(compile_formula("1/P", ["P"])(P=0.0)) == np.inf
        assert np.isnan(formula(P=1.0, Q=-1.0, R=1.0))


def test_scalar_call_returns_zero_dim_float64_array():
    result = compile_formula("P + 1", ["P"])(P=2)
    assert isinstance(result, np.ndarray) and result.dtype == np.float64 and result.ndim == 0
    assert float(result) == 3.0
    constant = compile_formula("0.880", [])()
    assert isinstance(constant, np.ndarray) and constant.dtype == np.float64


def test_parameters_broadcast_together():
    formula = compile_formula("P * Q", ["P", "Q"])
    result = formula(P=np.array([1.0, 2.0, 3.0]), Q=np.array([[1.0], [10.0]]))
    assert result.shape == (2, 3)
    assert result[1].tolist() == [10.0, 20.0, 30.0]


def test_missing_parameter_is_named():
    formula = compile_formula("P + Q", ["P", "Q"])
    with pytest.raises(FormulaError) as info:
        formula(P=1.0)
    assert info.value.code == "formula_parameter_missing"
    assert "Q" in info.value.problems[0].message


def test_unbroadcastable_parameters_are_a_formula_error():
    formula = compile_formula("P + Q", ["P", "Q"])
    with pytest.raises(FormulaError):
        formula(P=np.zeros(3), Q=np.zeros(4))


def test_formula_is_frozen():
    formula = compile_formula("P", ["P"])
    assert isinstance(formula, Formula)
    with pytest.raises(dataclasses.FrozenInstanceError):
        formula.source = "2"


# --- refusals ----------------------------------------------------------------------------------

@pytest.mark.parametrize("source, code", [
    ("__import__('os')", "formula_call_not_allowed"),
    ("open('f')", "formula_call_not_allowed"),
    ("eval('1')", "formula_call_not_allowed"),
    ("P.real(1)", "formula_call_not_allowed"),
    ("(lambda: 1)()", "formula_call_not_allowed"),
    ("P(1)", "formula_call_not_allowed"),
    ("().__class__", "formula_node_not_allowed"),
    ("P.real", "formula_node_not_allowed"),
    ("x[0]", "formula_node_not_allowed"),
    ("'a'", "formula_node_not_allowed"),
    ("b'a'", "formula_node_not_allowed"),
    ("f'{P}'", "formula_node_not_allowed"),
    ("lambda: 1", "formula_node_not_allowed"),
    ("log10(P, base=10)", "formula_node_not_allowed"),
    ("min(*P)", "formula_node_not_allowed"),
    ("[P]", "formula_node_not_allowed"),
    ("(P, 1)", "formula_node_not_allowed"),
    ("{P: 1}", "formula_node_not_allowed"),
    ("{P}", "formula_node_not_allowed"),
    ("[i for i in P]", "formula_node_not_allowed"),
    ("(y := 1)", "formula_node_not_allowed"),
    ("1 if P else 2", "formula_node_not_allowed"),
    ("True + P", "formula_node_not_allowed"),
    ("2j * P", "formula_node_not_allowed"),
    ("P // 2", "formula_node_not_allowed"),
    ("P % 2", "formula_node_not_allowed"),
    ("~P", "formula_node_not_allowed"),
    ("P is P", "formula_node_not_allowed"),
    ("P in P", "formula_node_not_allowed"),
    ("9**9**9", "formula_exponent_not_allowed"),
    ("2**P", "formula_exponent_not_allowed"),
    ("P**17", "formula_exponent_not_allowed"),
    ("P**(1/2)", "formula_exponent_not_allowed"),
    ("foo + 1", "formula_name_unknown"),
    ("log10 + 1", "formula_name_unknown"),
    ("", "formula_syntax"),
    ("   ", "formula_syntax"),
    ("P +", "formula_syntax"),
    ("x = 1", "formula_syntax"),
    ("import os", "formula_syntax"),
    ("P\x00", "formula_syntax"),
    ("1and P", "formula_syntax"),
    ("piecewise(P > 1, 2)", "formula_arity"),
    ("piecewise(P > 1, 1, 2, 3)", "formula_arity"),
    ("where(P > 1, 1)", "formula_arity"),
    ("min(P)", "formula_arity"),
    ("log10()", "formula_arity"),
    ("sqrt(P, P)", "formula_arity"),
])
def test_refusals_have_reason_codes(source, code):
    assert refusal(source).code == code


def test_refused_call_names_the_function_and_lists_allowed():
    message = refusal("open('f')").problems[0].message
    assert "open" in message and "log10" in message


def test_unknown_name_hint_suggests_close_spelling_and_lists_declared():
    error = refusal("rated_powr * 2", ["rated_power", "poles"])
    problem = error.problems[0]
    assert problem.code == "formula_name_unknown"
    assert "rated_powr" in problem.message
    assert "rated_power" in problem.hint and "poles" in problem.hint


def test_too_long_formula():
    source = "P+" * 1500
    assert len(source) > 2000
    assert refusal(source[:-1]).code == "formula_too_long"


@pytest.mark.parametrize("source", [
    "(" * 500 + "P" + ")" * 500,
    "-(" * 500 + "P" + ")" * 500,
    "-" * 500 + "P",
    "not " * 300 + "P",
    "+".join(["P"] * 450),
    "max(" + ", ".join(["P"] * 450) + ")",  # shallow but too many nodes
    "-" * 41 + "P",
])
def test_too_complex_formula(source):
    assert len(source) <= 2000
    assert refusal(source).code == "formula_too_complex"


def test_nesting_just_under_the_limit_is_accepted():
    formula = compile_formula("-" * 39 + "P", ["P"])
    assert float(formula(P=2.0)) == -2.0


def test_module_never_calls_eval_exec_or_compile():
    tree = ast.parse(Path(formula_module.__file__).read_text(encoding="utf-8"))
    called = {node.func.id for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert not called & {"eval", "exec", "compile", "__import__"}
    attributes = {node.func.attr for node in ast.walk(tree)
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}
    assert not attributes & {"eval", "exec"}


# --- property ----------------------------------------------------------------------------------

TOKENS = [
    "0", "1", "2.5", "16", "17", "1e309", "P", "Q", "R", "+", "-", "*", "/", "**", "(", ")", ",",
    "<", "<=", ">", "==", "!=", "and", "or", "not", "log10", "ln", "log", "exp", "sqrt", "abs",
    "min", "max", "where", "piecewise", ".", "[", "]", "'", "=", ":", "lambda", "_",
]


@settings(max_examples=400, deadline=None)
@given(tokens=st.lists(st.sampled_from(TOKENS), max_size=25),
       separator=st.sampled_from(["", " "]))
def test_random_token_strings_only_ever_raise_formula_error(tokens, separator):
    source = separator.join(tokens)
    try:
        formula = compile_formula(source, ["P", "Q"])
    except FormulaError as error:
        assert error.problems and error.code.startswith("formula_")
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = formula(P=np.array([-1.0, 0.0, 0.5, 2.0, 1e6]), Q=3.0)
    assert isinstance(result, np.ndarray) and result.dtype == np.float64


def _expressions() -> st.SearchStrategy[str]:
    leaves = st.sampled_from(["0", "1", "2.5", "-3", "1e308", "P", "Q"])

    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "<", "<=", "==", "!=",
                                                      "and", "or"]), children)
        power = st.tuples(children, st.sampled_from(["-16", "-1", "0", "0.5", "3", "16"]))
        call = st.tuples(st.sampled_from(sorted(ALLOWED_FUNCTIONS)),
                         st.lists(children, min_size=1, max_size=5))
        return st.one_of(
            binary.map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            power.map(lambda t: f"({t[0]})**{t[1]}"),
            children.map(lambda c: f"(not {c})"),
            call.map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        )

    return st.recursive(leaves, extend, max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(source=_expressions())
def test_well_formed_expressions_evaluate_without_raising(source):
    try:
        formula = compile_formula(source, ["P", "Q"])
    except FormulaError as error:  # wrong arity or too deep: refused, but only ever this way
        assert error.code in {"formula_arity", "formula_too_complex"}
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = formula(P=np.array([-1.0, 0.0, 0.5, 2.0, 1e6]), Q=3.0)
    assert result.dtype == np.float64 and result.shape in {(), (5,)}
