mod common;
mod corpus;
mod interactive;
mod run;
