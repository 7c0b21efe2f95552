mod common;
mod constructs;
mod corpus;
mod crash;
mod interactive;
mod run;
