//! Reading ONNX files: the protobuf messages ramjet needs, decoded with `prost`.
//!
//! Only the fields a feed-forward network needs are declared, with the field numbers of the public
//! ONNX schema (`onnx/onnx.proto`); protobuf skips every other field. The messages are public so
//! that tests (and tools) can build small ONNX models in Rust.
//!
//! [`load`] turns the decoded graph into a float [`Model`] (see
//! [`model`](super::model) for the operators and the rules).

use prost::Message;

use super::model::{Model, from_graph};
use crate::{ProverError, Result};

/// `ModelProto`: the file's top-level message.
#[derive(Clone, PartialEq, Message)]
pub struct ModelProto {
    /// The IR version the file was written with.
    #[prost(int64, tag = "1")]
    pub ir_version: i64,
    /// The tool that wrote the file.
    #[prost(string, tag = "2")]
    pub producer_name: String,
    /// The computation graph.
    #[prost(message, optional, tag = "7")]
    pub graph: Option<GraphProto>,
    /// The operator sets the graph uses.
    #[prost(message, repeated, tag = "8")]
    pub opset_import: Vec<OperatorSetIdProto>,
}

/// `OperatorSetIdProto`: an operator set and its version.
#[derive(Clone, PartialEq, Message)]
pub struct OperatorSetIdProto {
    /// The domain: empty (or `ai.onnx`) for the standard operators.
    #[prost(string, tag = "1")]
    pub domain: String,
    /// The operator set version.
    #[prost(int64, tag = "2")]
    pub version: i64,
}

/// `GraphProto`: nodes in topological order, constant tensors, inputs and outputs.
#[derive(Clone, PartialEq, Message)]
pub struct GraphProto {
    /// The nodes, in topological order.
    #[prost(message, repeated, tag = "1")]
    pub node: Vec<NodeProto>,
    /// The graph's name.
    #[prost(string, tag = "2")]
    pub name: String,
    /// Constant tensors (the weights), referred to by name.
    #[prost(message, repeated, tag = "5")]
    pub initializer: Vec<TensorProto>,
    /// The graph's inputs (initializers may be listed here too, by older exporters).
    #[prost(message, repeated, tag = "11")]
    pub input: Vec<ValueInfoProto>,
    /// The graph's outputs.
    #[prost(message, repeated, tag = "12")]
    pub output: Vec<ValueInfoProto>,
}

/// `NodeProto`: one operator application.
#[derive(Clone, PartialEq, Message)]
pub struct NodeProto {
    /// Names of the input tensors.
    #[prost(string, repeated, tag = "1")]
    pub input: Vec<String>,
    /// Names of the output tensors.
    #[prost(string, repeated, tag = "2")]
    pub output: Vec<String>,
    /// The node's name (may be empty).
    #[prost(string, tag = "3")]
    pub name: String,
    /// The operator, e.g. `Gemm`.
    #[prost(string, tag = "4")]
    pub op_type: String,
    /// The operator's attributes.
    #[prost(message, repeated, tag = "5")]
    pub attribute: Vec<AttributeProto>,
    /// The operator's domain: empty for the standard operators.
    #[prost(string, tag = "7")]
    pub domain: String,
}

/// `AttributeProto`: a named attribute of a node (only the scalar kinds ramjet reads).
#[derive(Clone, PartialEq, Message)]
pub struct AttributeProto {
    /// The attribute's name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// A float value (type `FLOAT`).
    #[prost(float, tag = "2")]
    pub f: f32,
    /// An integer value (type `INT`).
    #[prost(int64, tag = "3")]
    pub i: i64,
    /// A tensor value (type `TENSOR`).
    #[prost(message, optional, tag = "5")]
    pub t: Option<TensorProto>,
    /// Integer values (type `INTS`).
    #[prost(int64, repeated, tag = "8")]
    pub ints: Vec<i64>,
    /// Which of the value fields holds the value ([`AttributeType`]).
    #[prost(int32, tag = "20")]
    pub r#type: i32,
}

/// `AttributeProto.AttributeType`, the kinds ramjet reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum AttributeType {
    /// `f`.
    Float = 1,
    /// `i`.
    Int = 2,
    /// `t`.
    Tensor = 4,
    /// `ints`.
    Ints = 7,
}

/// `TensorProto`: a constant tensor (an initializer).
#[derive(Clone, PartialEq, Message)]
pub struct TensorProto {
    /// The dimensions (ONNX's proto2 schema stores them unpacked).
    #[prost(int64, repeated, packed = "false", tag = "1")]
    pub dims: Vec<i64>,
    /// The element type ([`DataType`]).
    #[prost(int32, tag = "2")]
    pub data_type: i32,
    /// Elements of a `FLOAT` tensor, when not in `raw_data`.
    #[prost(float, repeated, tag = "4")]
    pub float_data: Vec<f32>,
    /// Elements of an `INT64` tensor, when not in `raw_data`.
    #[prost(int64, repeated, tag = "7")]
    pub int64_data: Vec<i64>,
    /// The tensor's name.
    #[prost(string, tag = "8")]
    pub name: String,
    /// Elements as little-endian bytes, row-major (what most exporters write).
    #[prost(bytes = "vec", tag = "9")]
    pub raw_data: Vec<u8>,
    /// Elements of a `DOUBLE` tensor, when not in `raw_data`.
    #[prost(double, repeated, tag = "10")]
    pub double_data: Vec<f64>,
    /// 1 when the data lives in an external file, which ramjet does not read.
    #[prost(int32, tag = "14")]
    pub data_location: i32,
}

/// `TensorProto.DataType`, the element types ramjet reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum DataType {
    /// 32-bit float.
    Float = 1,
    /// 64-bit signed integer (shapes).
    Int64 = 7,
    /// 64-bit float.
    Double = 11,
}

/// `ValueInfoProto`: a named, typed value (a graph input or output).
#[derive(Clone, PartialEq, Message)]
pub struct ValueInfoProto {
    /// The value's name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Its type.
    #[prost(message, optional, tag = "2")]
    pub r#type: Option<TypeProto>,
}

/// `TypeProto`, the tensor case only.
#[derive(Clone, PartialEq, Message)]
pub struct TypeProto {
    /// A tensor type (the `oneof value` case 1).
    #[prost(message, optional, tag = "1")]
    pub tensor_type: Option<TensorTypeProto>,
}

/// `TypeProto.Tensor`: element type and shape.
#[derive(Clone, PartialEq, Message)]
pub struct TensorTypeProto {
    /// The element type ([`DataType`]).
    #[prost(int32, tag = "1")]
    pub elem_type: i32,
    /// The shape, when known.
    #[prost(message, optional, tag = "2")]
    pub shape: Option<TensorShapeProto>,
}

/// `TensorShapeProto`.
#[derive(Clone, PartialEq, Message)]
pub struct TensorShapeProto {
    /// The dimensions.
    #[prost(message, repeated, tag = "1")]
    pub dim: Vec<Dimension>,
}

/// `TensorShapeProto.Dimension`: a fixed size or a symbolic name (a `oneof`).
#[derive(Clone, PartialEq, Message)]
pub struct Dimension {
    /// A fixed size.
    #[prost(int64, optional, tag = "1")]
    pub dim_value: Option<i64>,
    /// A symbolic size, e.g. `"batch"`.
    #[prost(string, optional, tag = "2")]
    pub dim_param: Option<String>,
}

/// Decodes ONNX bytes into a [`ModelProto`]. Fails with [`ProverError::OnnxDecode`] when the
/// bytes are not a protobuf `ModelProto` or hold no graph.
pub fn decode(bytes: &[u8]) -> Result<ModelProto> {
    let model =
        ModelProto::decode(bytes).map_err(|e| ProverError::OnnxDecode(format!("protobuf: {e}")))?;
    if model.graph.is_none() {
        return Err(ProverError::OnnxDecode("the model has no graph".into()));
    }
    Ok(model)
}

/// Decodes ONNX bytes and builds the float model ([`model`](super::model) lists the operators
/// and what is refused).
pub fn load(bytes: &[u8]) -> Result<Model> {
    let proto = decode(bytes)?;
    let graph = proto.graph.as_ref().expect("decode checks the graph");
    from_graph(graph)
}

impl TensorProto {
    /// The number of elements its dimensions give (1 for a scalar).
    pub fn element_count(&self) -> Result<usize> {
        self.dims.iter().try_fold(1usize, |n, &d| {
            usize::try_from(d)
                .ok()
                .and_then(|d| n.checked_mul(d))
                .ok_or_else(|| {
                    ProverError::OnnxModel(format!(
                        "initializer `{}` has dimensions {:?}",
                        self.name, self.dims
                    ))
                })
        })
    }

    /// The elements of a `FLOAT` or `DOUBLE` tensor as f64, row-major, from `raw_data` or the
    /// typed field, checked against the dimensions.
    pub fn floats(&self) -> Result<Vec<f64>> {
        self.check_embedded()?;
        let values: Vec<f64> = match self.data_type {
            t if t == DataType::Float as i32 => {
                if self.raw_data.is_empty() {
                    self.float_data.iter().map(|&v| f64::from(v)).collect()
                } else {
                    self.raw_chunks::<4>()?
                        .map(|b| f64::from(f32::from_le_bytes(b)))
                        .collect()
                }
            }
            t if t == DataType::Double as i32 => {
                if self.raw_data.is_empty() {
                    self.double_data.clone()
                } else {
                    self.raw_chunks::<8>()?.map(f64::from_le_bytes).collect()
                }
            }
            other => {
                return Err(ProverError::OnnxModel(format!(
                    "initializer `{}` has element type {other}; weights must be FLOAT (1) or \
                     DOUBLE (11)",
                    self.name
                )));
            }
        };
        self.check_count(values.len())?;
        if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
            return Err(ProverError::OnnxModel(format!(
                "initializer `{}` holds {bad}",
                self.name
            )));
        }
        Ok(values)
    }

    /// The elements of an `INT64` tensor (a shape), from `raw_data` or `int64_data`.
    pub fn int64s(&self) -> Result<Vec<i64>> {
        self.check_embedded()?;
        if self.data_type != DataType::Int64 as i32 {
            return Err(ProverError::OnnxModel(format!(
                "tensor `{}` has element type {}, not INT64 (7)",
                self.name, self.data_type
            )));
        }
        let values: Vec<i64> = if self.raw_data.is_empty() {
            self.int64_data.clone()
        } else {
            self.raw_chunks::<8>()?.map(i64::from_le_bytes).collect()
        };
        self.check_count(values.len())?;
        Ok(values)
    }

    fn check_embedded(&self) -> Result<()> {
        if self.data_location == 1 {
            return Err(ProverError::OnnxModel(format!(
                "initializer `{}` is stored in an external file, which is not supported",
                self.name
            )));
        }
        Ok(())
    }

    fn raw_chunks<const N: usize>(&self) -> Result<impl Iterator<Item = [u8; N]> + '_> {
        if !self.raw_data.len().is_multiple_of(N) {
            return Err(ProverError::OnnxModel(format!(
                "initializer `{}`: {} bytes of raw data is not a whole number of {N}-byte elements",
                self.name,
                self.raw_data.len()
            )));
        }
        Ok(self
            .raw_data
            .chunks_exact(N)
            .map(|c| c.try_into().expect("chunks of N bytes")))
    }

    fn check_count(&self, found: usize) -> Result<()> {
        let expected = self.element_count()?;
        if found != expected {
            return Err(ProverError::OnnxModel(format!(
                "initializer `{}` has dimensions {:?} ({expected} elements) but holds {found}",
                self.name, self.dims
            )));
        }
        Ok(())
    }
}

impl NodeProto {
    /// The attribute called `name`, if the node has it.
    pub fn attribute(&self, name: &str) -> Option<&AttributeProto> {
        self.attribute.iter().find(|a| a.name == name)
    }
}
