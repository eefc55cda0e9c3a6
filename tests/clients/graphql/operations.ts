// The GraphQL operations of the check, written with the client preset's `graphql()`
// function: graphql-codegen reads them from here and generates their result and
// variable types into ./generated/.
import { graphql } from "./generated/index.js";

export const MeQuery = graphql(`
  query Me {
    me {
      userId
      role
    }
  }
`);

export const CustomersPageQuery = graphql(`
  query CustomersPage($first: Int!) {
    customers(first: $first) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          id
          displayName
          phone
          maskedFields
          version
        }
      }
    }
  }
`);

export const CreateCustomerMutation = graphql(`
  mutation CreateCustomer($input: CustomerInput!) {
    createCustomer(input: $input) {
      id
      kind
      displayName
      phone
      email
      tags
      maskedFields
      version
    }
  }
`);

export const UpdateCustomerMutation = graphql(`
  mutation UpdateCustomer($id: UUID!, $expectedVersion: Int, $input: CustomerInput!) {
    updateCustomer(id: $id, expectedVersion: $expectedVersion, input: $input) {
      id
      displayName
      phone
      notes
      version
    }
  }
`);

export const CustomerQuery = graphql(`
  query Customer($id: UUID!) {
    customer(id: $id) {
      id
      displayName
      phone
      email
      notes
      maskedFields
      version
    }
  }
`);
