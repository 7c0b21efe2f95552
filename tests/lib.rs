mod common;
mod constructs;
mod corpus;
mod interactive;
mod run;
