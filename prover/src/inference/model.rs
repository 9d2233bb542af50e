//! The float model: a chain of dense layers, bias additions and ReLUs, built from an ONNX graph.
//!
//! # What is read
//!
//! The graph must be a chain: one graph input (FLOAT), one graph output, and every node takes
//! the previous node's output as its only non-constant input (the others are initializers).
//! Activations are treated as one sample (batch 1): a symbolic or size-1 first dimension is the
//! batch; every other dimension must be a fixed size.
//!
//! | operator | becomes | refused |
//! | --- | --- | --- |
//! | `Gemm` (A activation, B and optional C initializers) | [`Layer::Dense`] with `W = alpha·B'` and `bias = beta·C` (broadcast) | `transA = 1` |
//! | `MatMul` (activation × initializer `[K, N]`) | [`Layer::Dense`] without bias | weights as the first operand, a batch of rows |
//! | `Add` (activation + initializer, broadcast) | the bias of the `MatMul` just before it, else [`Layer::Bias`] | two activations |
//! | `Relu` | [`Layer::Relu`] | |
//! | `Flatten`, `Reshape` (constant shape, `0` and `-1` resolved) | nothing: a row-major reshape of one sample leaves its vector as it is; only the shape changes | a size that does not match |
//!
//! Any other operator, or an operator outside the standard domain, is
//! [`ProverError::UnsupportedOperator`], naming it and its node.

use std::collections::HashMap;

use super::onnx::{AttributeType, DataType, GraphProto, NodeProto, TensorProto};
use crate::{ProverError, Result};

/// A feed-forward network on one sample: `input_len` floats in, the last layer's values out.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// The graph input's name.
    pub input_name: String,
    /// The graph output's name.
    pub output_name: String,
    /// Number of input values (the product of the input's non-batch dimensions).
    pub input_len: usize,
    /// The layers, in order.
    pub layers: Vec<Layer>,
}

/// One step of a [`Model`].
#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    /// `y = W·x + bias`.
    Dense(Dense),
    /// `y = x + bias`, element by element.
    Bias(Vec<f64>),
    /// `y = max(x, 0)`, element by element.
    Relu,
}

/// A fully connected layer: `y[o] = Σ_i weights[o·inputs + i]·x[i] + bias[o]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    /// Number of inputs.
    pub inputs: usize,
    /// Number of outputs.
    pub outputs: usize,
    /// `outputs × inputs`, row-major (one row per output).
    pub weights: Vec<f64>,
    /// One per output (zeros when the ONNX node had none).
    pub bias: Vec<f64>,
}

impl Model {
    /// Number of output values.
    pub fn output_len(&self) -> usize {
        self.layers
            .iter()
            .fold(self.input_len, |n, layer| match layer {
                Layer::Dense(dense) => dense.outputs,
                Layer::Bias(_) | Layer::Relu => n,
            })
    }

    /// The float forward pass. Fails if `input` does not have [`input_len`](Self::input_len)
    /// values.
    pub fn infer(&self, input: &[f64]) -> Result<Vec<f64>> {
        check_input_len(input.len(), self.input_len)?;
        let mut x = input.to_vec();
        for layer in &self.layers {
            x = match layer {
                Layer::Dense(dense) => (0..dense.outputs)
                    .map(|o| {
                        let row = &dense.weights[o * dense.inputs..(o + 1) * dense.inputs];
                        row.iter().zip(&x).map(|(w, v)| w * v).sum::<f64>() + dense.bias[o]
                    })
                    .collect(),
                Layer::Bias(bias) => x.iter().zip(bias).map(|(v, b)| v + b).collect(),
                Layer::Relu => x.iter().map(|v| v.max(0.0)).collect(),
            };
        }
        Ok(x)
    }
}

pub(super) fn check_input_len(found: usize, expected: usize) -> Result<()> {
    if found != expected {
        return Err(ProverError::InferenceInput(format!(
            "the model takes {expected} input values, not {found}"
        )));
    }
    Ok(())
}

/// Builds the model of an ONNX graph (the rules are in the [module docs](self)).
pub(super) fn from_graph(graph: &GraphProto) -> Result<Model> {
    let initializers: HashMap<&str, &TensorProto> = graph
        .initializer
        .iter()
        .map(|t| (t.name.as_str(), t))
        .collect();
    let inputs: Vec<_> = graph
        .input
        .iter()
        .filter(|i| !initializers.contains_key(i.name.as_str()))
        .collect();
    let [input] = inputs[..] else {
        return Err(ProverError::OnnxModel(format!(
            "the graph has {} inputs besides its initializers; exactly one is supported",
            inputs.len()
        )));
    };
    let [output] = &graph.output[..] else {
        return Err(ProverError::OnnxModel(format!(
            "the graph has {} outputs; exactly one is supported",
            graph.output.len()
        )));
    };
    let mut shape = input_shape(input)?;
    let input_len = shape.iter().product();
    let mut current = input.name.clone();
    let mut layers: Vec<Layer> = Vec::new();
    for node in &graph.node {
        let chain = Chain {
            node,
            initializers: &initializers,
            current: &current,
        };
        chain.check()?;
        match node.op_type.as_str() {
            "Gemm" => {
                let dense = chain.gemm(&shape)?;
                shape = vec![1, dense.outputs];
                layers.push(Layer::Dense(dense));
            }
            "MatMul" => {
                let dense = chain.matmul(&shape)?;
                *shape.last_mut().expect("MatMul checks the rank") = dense.outputs;
                layers.push(Layer::Dense(dense));
            }
            "Add" => {
                let bias = chain.add(&shape)?;
                // A MatMul followed by its bias is one dense layer.
                match layers.last_mut() {
                    Some(Layer::Dense(dense)) if dense.bias.iter().all(|&b| b == 0.0) => {
                        dense.bias = bias;
                    }
                    _ => layers.push(Layer::Bias(bias)),
                }
            }
            "Relu" => layers.push(Layer::Relu),
            "Flatten" => shape = chain.flatten(&shape)?,
            "Reshape" => shape = chain.reshape(&shape)?,
            other => {
                return Err(ProverError::UnsupportedOperator {
                    op: other.to_owned(),
                    node: node.name.clone(),
                });
            }
        }
        current = node.output.first().cloned().unwrap_or_default();
    }
    if current != output.name {
        return Err(ProverError::OnnxModel(format!(
            "the chain of nodes ends in `{current}`, not in the graph output `{}`",
            output.name
        )));
    }
    Ok(Model {
        input_name: input.name.clone(),
        output_name: output.name.clone(),
        input_len,
        layers,
    })
}

/// The input's shape for one sample: a symbolic (or 1) first dimension of a tensor of rank ≥ 2
/// is the batch and becomes 1; every other dimension must be a fixed positive size.
fn input_shape(input: &super::onnx::ValueInfoProto) -> Result<Vec<usize>> {
    let tensor = input
        .r#type
        .as_ref()
        .and_then(|t| t.tensor_type.as_ref())
        .ok_or_else(|| ProverError::OnnxModel(format!("input `{}` is not a tensor", input.name)))?;
    if tensor.elem_type != DataType::Float as i32 {
        return Err(ProverError::OnnxModel(format!(
            "input `{}` has element type {}; only FLOAT (1) inputs are supported",
            input.name, tensor.elem_type
        )));
    }
    let dims = tensor.shape.as_ref().map(|s| &s.dim[..]).unwrap_or(&[]);
    if dims.is_empty() {
        return Err(ProverError::OnnxModel(format!(
            "input `{}` has no shape; a fixed shape (batch dimension aside) is required",
            input.name
        )));
    }
    dims.iter()
        .enumerate()
        .map(|(axis, dim)| match (&dim.dim_value, &dim.dim_param) {
            (Some(size), _) if *size > 0 => Ok(*size as usize),
            (_, Some(_)) | (None, None) if axis == 0 && dims.len() >= 2 => Ok(1),
            (_, param) => Err(ProverError::OnnxModel(format!(
                "input `{}`: dimension {axis} is {}; only the first (batch) dimension may be \
                 dynamic",
                input.name,
                match (param, dim.dim_value) {
                    (Some(p), _) => format!("symbolic (`{p}`)"),
                    (None, Some(v)) => v.to_string(),
                    (None, None) => "unknown".to_owned(),
                }
            ))),
        })
        .collect()
}

/// One node of the chain, with what it needs to resolve its operands.
struct Chain<'a> {
    node: &'a NodeProto,
    initializers: &'a HashMap<&'a str, &'a TensorProto>,
    current: &'a str,
}

impl Chain<'_> {
    fn what(&self) -> String {
        if self.node.name.is_empty() {
            format!("{} node", self.node.op_type)
        } else {
            format!("{} node `{}`", self.node.op_type, self.node.name)
        }
    }

    fn fail(&self, reason: impl std::fmt::Display) -> ProverError {
        ProverError::OnnxModel(format!("{}: {reason}", self.what()))
    }

    /// The node is in the standard domain, has one output, and takes the running activation
    /// as its only non-initializer input.
    fn check(&self) -> Result<()> {
        if !matches!(self.node.domain.as_str(), "" | "ai.onnx") {
            return Err(ProverError::UnsupportedOperator {
                op: format!("{}::{}", self.node.domain, self.node.op_type),
                node: self.node.name.clone(),
            });
        }
        if self.node.output.len() != 1 {
            return Err(self.fail(format!(
                "has {} outputs; one is supported",
                self.node.output.len()
            )));
        }
        let dynamic: Vec<&String> = self
            .node
            .input
            .iter()
            .filter(|i| !i.is_empty() && !self.initializers.contains_key(i.as_str()))
            .collect();
        if dynamic != [self.current] {
            return Err(self.fail(format!(
                "takes {dynamic:?} besides initializers; only a chain (each node taking the \
                 previous node's output, `{}`) is supported",
                self.current
            )));
        }
        Ok(())
    }

    /// The initializer at input position `index`, if there is one.
    fn initializer(&self, index: usize) -> Option<&TensorProto> {
        let name = self.node.input.get(index).filter(|n| !n.is_empty())?;
        self.initializers.get(name.as_str()).copied()
    }

    fn int_attribute(&self, name: &str, default: i64) -> Result<i64> {
        match self.node.attribute(name) {
            None => Ok(default),
            // Type 0 (UNDEFINED): some writers leave the type out; the value field decides.
            Some(a) if a.r#type == AttributeType::Int as i32 || a.r#type == 0 => Ok(a.i),
            Some(a) => Err(self.fail(format!("attribute {name} has type {}, not INT", a.r#type))),
        }
    }

    fn float_attribute(&self, name: &str, default: f32) -> Result<f64> {
        match self.node.attribute(name) {
            None => Ok(f64::from(default)),
            Some(a) if a.r#type == AttributeType::Float as i32 || a.r#type == 0 => {
                Ok(f64::from(a.f))
            }
            Some(a) => Err(self.fail(format!("attribute {name} has type {}, not FLOAT", a.r#type))),
        }
    }

    /// A row vector's length: every dimension but the last must be 1 (batch 1).
    fn row_len(&self, shape: &[usize]) -> Result<usize> {
        match shape.split_last() {
            Some((&k, rest)) if rest.iter().all(|&d| d == 1) => Ok(k),
            _ => Err(self.fail(format!(
                "its input has shape {shape:?}; only a single row (one sample) is supported"
            ))),
        }
    }

    fn gemm(&self, shape: &[usize]) -> Result<Dense> {
        if self.int_attribute("transA", 0)? != 0 {
            return Err(self.fail("transA = 1 is not supported (the activation is a row)"));
        }
        if self.node.input.first().map(String::as_str) != Some(self.current) {
            return Err(self.fail("the activation must be Gemm's first operand A"));
        }
        if shape.len() != 2 {
            return Err(self.fail(format!("Gemm's A must have rank 2, not shape {shape:?}")));
        }
        let k = self.row_len(shape)?;
        let trans_b = self.int_attribute("transB", 0)? != 0;
        let alpha = self.float_attribute("alpha", 1.0)?;
        let beta = self.float_attribute("beta", 1.0)?;
        let b = self
            .initializer(1)
            .ok_or_else(|| self.fail("operand B must be an initializer"))?;
        let values = b.floats()?;
        let (rows, cols) = match b.dims[..] {
            [r, c] => (r as usize, c as usize),
            _ => return Err(self.fail(format!("B has dimensions {:?}, not rank 2", b.dims))),
        };
        let (b_k, n) = if trans_b { (cols, rows) } else { (rows, cols) };
        if b_k != k {
            return Err(self.fail(format!(
                "A has {k} columns but B{} has {b_k} rows",
                if trans_b { "ᵀ" } else { "" }
            )));
        }
        // W[o][i] = alpha · B'[i][o], with B' = Bᵀ when transB.
        let mut weights = vec![0.0; n * k];
        for o in 0..n {
            for i in 0..k {
                let b_io = if trans_b {
                    values[o * cols + i]
                } else {
                    values[i * cols + o]
                };
                weights[o * k + i] = alpha * b_io;
            }
        }
        let bias = match self.initializer(2) {
            Some(c) => self
                .broadcast(c, &[1, n])?
                .into_iter()
                .map(|v| beta * v)
                .collect(),
            None if self.node.input.len() > 2 && !self.node.input[2].is_empty() => {
                return Err(self.fail("operand C must be an initializer"));
            }
            None => vec![0.0; n],
        };
        Ok(Dense {
            inputs: k,
            outputs: n,
            weights,
            bias,
        })
    }

    fn matmul(&self, shape: &[usize]) -> Result<Dense> {
        if self.node.input.first().map(String::as_str) != Some(self.current) {
            return Err(self.fail(
                "the weights are the first operand; only activation × weights is supported",
            ));
        }
        let k = self.row_len(shape)?;
        let b = self
            .initializer(1)
            .ok_or_else(|| self.fail("the second operand must be an initializer"))?;
        let values = b.floats()?;
        let [rows, n] = b.dims[..] else {
            return Err(self.fail(format!("weights have dimensions {:?}, not rank 2", b.dims)));
        };
        let (rows, n) = (rows as usize, n as usize);
        if rows != k {
            return Err(self.fail(format!(
                "the activation has {k} values, the weights {rows} rows"
            )));
        }
        let mut weights = vec![0.0; n * k];
        for o in 0..n {
            for i in 0..k {
                weights[o * k + i] = values[i * n + o];
            }
        }
        Ok(Dense {
            inputs: k,
            outputs: n,
            weights,
            bias: vec![0.0; n],
        })
    }

    fn add(&self, shape: &[usize]) -> Result<Vec<f64>> {
        let constant = (0..2)
            .find_map(|i| self.initializer(i))
            .ok_or_else(|| self.fail("one operand must be an initializer"))?;
        self.broadcast(constant, shape)
    }

    /// `tensor` broadcast (numpy rules) to `shape`, row-major; the broadcast must not grow
    /// `shape`.
    fn broadcast(&self, tensor: &TensorProto, shape: &[usize]) -> Result<Vec<f64>> {
        let values = tensor.floats()?;
        let dims: Vec<usize> = tensor.dims.iter().map(|&d| d as usize).collect();
        let refuse = || {
            self.fail(format!(
                "`{}` of dimensions {dims:?} does not broadcast to {shape:?}",
                tensor.name
            ))
        };
        if dims.len() > shape.len() {
            let extra = dims.len() - shape.len();
            if dims[..extra].iter().any(|&d| d != 1) {
                return Err(refuse());
            }
        }
        let dims = &dims[dims.len().saturating_sub(shape.len())..];
        let offset = shape.len() - dims.len();
        if dims
            .iter()
            .zip(&shape[offset..])
            .any(|(&d, &s)| d != 1 && d != s)
        {
            return Err(refuse());
        }
        let total: usize = shape.iter().product();
        let mut out = Vec::with_capacity(total);
        for flat in 0..total {
            // Index into `tensor`: each axis's coordinate, or 0 where it has size 1.
            let (mut rest, mut index, mut stride) = (flat, 0, 1);
            for axis in (0..shape.len()).rev() {
                let coordinate = rest % shape[axis];
                rest /= shape[axis];
                if axis >= offset {
                    let d = dims[axis - offset];
                    if d != 1 {
                        index += coordinate * stride;
                    }
                    stride *= d;
                }
            }
            out.push(values[index]);
        }
        Ok(out)
    }

    fn flatten(&self, shape: &[usize]) -> Result<Vec<usize>> {
        let rank = shape.len() as i64;
        let axis = self.int_attribute("axis", 1)?;
        let axis = if axis < 0 { axis + rank } else { axis };
        if !(0..=rank).contains(&axis) {
            return Err(self.fail(format!("axis {axis} out of range for rank {rank}")));
        }
        let (outer, inner) = shape.split_at(axis as usize);
        Ok(vec![outer.iter().product(), inner.iter().product()])
    }

    fn reshape(&self, shape: &[usize]) -> Result<Vec<usize>> {
        let target = self
            .initializer(1)
            .ok_or_else(|| self.fail("the shape must be an initializer"))?
            .int64s()?;
        let allow_zero = self.int_attribute("allowzero", 0)? != 0;
        let total: usize = shape.iter().product();
        let mut out = Vec::with_capacity(target.len());
        let mut infer = None;
        for (axis, &d) in target.iter().enumerate() {
            match d {
                0 if !allow_zero => out.push(
                    *shape
                        .get(axis)
                        .ok_or_else(|| self.fail(format!("0 at axis {axis} has no input dim")))?,
                ),
                -1 if infer.is_none() => {
                    infer = Some(axis);
                    out.push(1);
                }
                d if d > 0 => out.push(d as usize),
                d => return Err(self.fail(format!("target dimension {d} is not supported"))),
            }
        }
        if let Some(axis) = infer {
            let known: usize = out.iter().product();
            if known == 0 || !total.is_multiple_of(known) {
                return Err(self.fail(format!("cannot infer -1 in {target:?} from {shape:?}")));
            }
            out[axis] = total / known;
        }
        if out.iter().product::<usize>() != total {
            return Err(self.fail(format!("shape {target:?} does not hold {total} values")));
        }
        Ok(out)
    }
}
